/**
 * One streamed put as a process of its own, for the SIGKILL test: encrypts PUT_STREAM_CHILD's file
 * straight into S3ObjectStore.putStream. Prints "streaming" once the upload has its body, then the
 * outcome as JSON.
 */
import { open } from 'node:fs/promises';
import { createRecordingEnvelope, createRecordingKeyring } from '../../../src/recordings/crypto/index.js';
import { S3ObjectStore, type S3StoreConfig } from '../../../src/recordings/storage/index.js';

const cfg = JSON.parse(process.env.PUT_STREAM_CHILD ?? '{}') as { store: S3StoreConfig; key: string; file: string; keyFile: string; callId: string };
const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: cfg.keyFile }));
const store = new S3ObjectStore(cfg.store);
const h = await open(cfg.file);
const { result, uploaded } = await env.encryptOpenFileInto(h, { callId: cfg.callId, plaintextBytes: (await h.stat()).size }, ({ body, bytes, messageId }) => {
  process.stdout.write('streaming\n');
  return store.putStream(cfg.key, body, { bytes, metadata: { 'message-id': messageId } });
});
await h.close();
process.stdout.write(JSON.stringify({ status: uploaded.status, ciphertextBytes: result?.ciphertextBytes ?? null }) + '\n');
await store.close();
