/**
 * A raw AMI session with the shipped `consentline` user (its read classes and event filters), for
 * recording what Asterisk sends it into a transcript (test/fixtures/asterisk-transcripts): every
 * event packet as received, keys and values unchanged.
 */
import { connect, type Socket } from 'node:net';

export class AmiTap {
  readonly events: Array<Record<string, string>> = [];
  #buf = '';

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buf += chunk;
      let at: number;
      while ((at = this.#buf.indexOf('\r\n\r\n')) >= 0) {
        const packet = this.#buf.slice(0, at);
        this.#buf = this.#buf.slice(at + 4);
        const fields: Record<string, string> = {};
        for (const line of packet.split('\r\n')) {
          const i = line.indexOf(': ');
          if (i > 0) fields[line.slice(0, i)] = line.slice(i + 2);
        }
        if (fields['Event']) this.events.push(fields);
      }
    });
  }

  static async open(port: number, username: string, secret: string): Promise<AmiTap> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const tap = new AmiTap(socket);
    socket.write(`Action: Login\r\nActionID: tap-1\r\nUsername: ${username}\r\nSecret: ${secret}\r\n\r\n`);
    return tap;
  }

  close(): void {
    this.socket.end('Action: Logoff\r\n\r\n');
    this.socket.destroy();
  }
}
