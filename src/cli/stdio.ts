/**
 * Output that survives a reader going away (`consentline … | head`): once the pipe is closed,
 * EPIPE is taken as "nobody is listening" and later writes to that stream are dropped, so the
 * command finishes its work and exits with its own status, without a stack trace.
 */
export interface GuardedStream {
  write(chunk: string): boolean;
  on(event: 'error', listener: (err: Error) => void): unknown;
  readonly isTTY?: boolean;
}

export interface SafeWriter {
  write(chunk: string): void;
  readonly closed: () => boolean;
}

export function safeWriter(stream: GuardedStream): SafeWriter {
  let closed = false;
  stream.on('error', (err) => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') closed = true;
    else throw err;
  });
  return {
    write(chunk) {
      if (closed) return;
      try {
        stream.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
        closed = true;
      }
    },
    closed: () => closed,
  };
}
