import type { ChannelEvent } from './ari/port.js';

export type QueuedEvent = ChannelEvent | { readonly type: 'LinkLost' };

/**
 * The events of one channel, in arrival order, awaited one at a time with a timeout.
 * A hang-up is sticky: once seen, every later wait answers it at once.
 */
export class ChannelEventQueue {
  #items: QueuedEvent[] = [];
  #waiter: ((event: QueuedEvent | null) => void) | null = null;
  #hungUp = false;

  get hungUp(): boolean {
    return this.#hungUp;
  }

  push(event: QueuedEvent): void {
    if (event.type === 'HangupRequest' || event.type === 'StasisEnd') this.#hungUp = true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      waiter(event);
    } else {
      this.#items.push(event);
    }
  }

  /** Next event, or null once `timeoutMs` passes with none. */
  next(timeoutMs: number): Promise<QueuedEvent | null> {
    const queued = this.#items.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#hungUp) return Promise.resolve({ type: 'StasisEnd' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve(null);
      }, timeoutMs);
      this.#waiter = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
    });
  }

  /** Drops queued key presses (type-ahead) so a new question starts clean. */
  clearDigits(): void {
    this.#items = this.#items.filter((e) => e.type !== 'Dtmf');
  }
}
