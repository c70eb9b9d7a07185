/**
 * A stored recording that reads back other bytes than were uploaded counts as a `recording`
 * verification failure (consentline_verification_failures_total), and the upload is retried.
 */
import { Readable } from 'node:stream';
import { afterEach, expect, test } from 'vitest';
import type { ObjectStore } from '../../../src/recordings/storage/port.js';
import { dialplanRecording, ledgerCall, waitFor, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The local store, except that its first read-back returns garbage. */
function corruptingFirstRead(store: ObjectStore): ObjectStore & { corrupted: number } {
  let corrupted = 0;
  return new Proxy(store as ObjectStore & { corrupted: number }, {
    get(target, prop) {
      if (prop === 'corrupted') return corrupted;
      if (prop === 'get' && corrupted === 0)
        return async () => {
          corrupted += 1;
          return Readable.from([Buffer.from('not what was uploaded')]);
        };
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('a read-back mismatch is counted as a recording verification failure, then the retry succeeds', async () => {
  w = await world();
  const store = corruptingFirstRead(w.objects);
  w.pipeline({ store });
  await waitFor(() => w!.watcher?.connected, 'AMI login');
  const callId = await ledgerCall(w, 'yes');
  const rec = dialplanRecording(w, callId, { seconds: 1 });
  rec.hangup();
  const done = await waitState(w, rec.file, 'done');
  expect(store.corrupted).toBe(1);
  const failures = (await w.metrics.verificationFailures.get()).values;
  expect(failures.find((v) => v.labels.check === 'recording')?.value).toBe(1);
  expect(failures.find((v) => v.labels.check === 'ledger')?.value).toBe(0);
});
