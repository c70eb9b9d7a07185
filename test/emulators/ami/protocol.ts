/**
 * The AMI wire format: `Key: Value` lines ending in CRLF, a blank line ends a message.
 * Messages keep their field order (Asterisk's order is part of what the conformance tests pin),
 * so a message is a list of pairs, not a record.
 */

export type AmiPair = readonly [key: string, value: string];
export type AmiPacket = readonly AmiPair[];

export function encodePacket(pairs: AmiPacket): string {
  let out = '';
  for (const [k, v] of pairs) out += `${k}: ${v}\r\n`;
  return `${out}\r\n`;
}

/** First value of `key`, matched case-insensitively as Asterisk's astman_get_header does. */
export function headerOf(packet: AmiPacket, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of packet) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Splits a byte stream into packets. Accepts bare LF too, as Asterisk does. */
export class PacketReader {
  #buffer = '';
  #current: AmiPair[] = [];

  push(chunk: string): AmiPacket[] {
    this.#buffer += chunk;
    const done: AmiPacket[] = [];
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      let line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.#current.length > 0) done.push(this.#current);
        this.#current = [];
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue; // Asterisk ignores lines without a header name
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).replace(/^ /, '');
      this.#current.push([key, value]);
    }
    return done;
  }
}
