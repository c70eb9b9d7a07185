import { createLogger, type Logger } from '../../../src/shared/log.js';
import type { AriAppEvents, ChannelEvent, ChannelInfo } from '../../../src/telephony/ari/port.js';

export type AppRecord =
  | { readonly kind: 'start'; readonly channel: ChannelInfo }
  | { readonly kind: 'event'; readonly channelId: string; readonly event: ChannelEvent }
  | { readonly kind: 'connected'; readonly reconnect: boolean }
  | { readonly kind: 'disconnected'; readonly reason: string };

/** AriAppEvents that write down everything they get. */
export function recordApp(): { readonly log: AppRecord[]; readonly events: AriAppEvents } {
  const log: AppRecord[] = [];
  return {
    log,
    events: {
      onStasisStart: (channel) => log.push({ kind: 'start', channel }),
      onChannelEvent: (channelId, event) => log.push({ kind: 'event', channelId, event }),
      onConnected: (reconnect) => log.push({ kind: 'connected', reconnect }),
      onDisconnected: (reason) => log.push({ kind: 'disconnected', reason }),
    },
  };
}

/** Channel events of one channel, as `Type` or `Type:detail` strings. */
export function channelTrail(log: readonly AppRecord[], channelId: string): string[] {
  return log.flatMap((r) => {
    if (r.kind !== 'event' || r.channelId !== channelId) return [];
    const e = r.event;
    if (e.type === 'PlaybackFinished') return [`PlaybackFinished:${e.state}`];
    if (e.type === 'Dtmf') return [`Dtmf:${e.digit}`];
    return [e.type];
  });
}

/** A logger whose JSON lines tests can read. */
export function captureLogger(): { readonly logger: Logger; readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { level: 'debug', name: 'test' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** Polls `predicate` until it holds. */
export async function until(predicate: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
