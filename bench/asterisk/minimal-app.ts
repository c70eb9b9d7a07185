/**
 * The minimal ARI app ConsentLine is compared with, run as its own process so its CPU can be read
 * from /proc: answer, play one prompt, set one variable, continue. Env: BENCH_ARI_PORT,
 * BENCH_ARI_USER, BENCH_ARI_PASSWORD, BENCH_APP, BENCH_PROMPT, BENCH_CONTINUE (context,exten).
 */
import { AriHttp, ariEvents, type AriEventMessage } from './ari-http.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    console.error(`minimal-app: ${name} is not set`);
    process.exit(78);
  }
  return v;
};

const target = { port: Number(env('BENCH_ARI_PORT')), user: env('BENCH_ARI_USER'), password: env('BENCH_ARI_PASSWORD') };
const app = env('BENCH_APP');
const prompt = env('BENCH_PROMPT');
const [context, extension] = env('BENCH_CONTINUE').split(',') as [string, string];
const ari = new AriHttp(target, 16);

async function start(channelId: string): Promise<void> {
  await ari.send('POST', `/channels/${channelId}/answer`);
  await ari.send('POST', `/channels/${channelId}/play/pb-${channelId}`, { media: prompt });
}

async function finish(channelId: string): Promise<void> {
  await ari.send('POST', `/channels/${channelId}/variable`, { variable: 'CONSENT_RECORDING', value: 'yes' });
  await ari.send('POST', `/channels/${channelId}/continue`, { context, extension, priority: '1' });
}

function onEvent(e: AriEventMessage): void {
  const fail = (err: unknown) => console.error(`minimal-app: ${e.type}: ${String(err)}`);
  if (e.type === 'StasisStart' && e.channel) start(e.channel.id).catch(fail);
  else if (e.type === 'PlaybackFinished' && e.playback?.target_uri.startsWith('channel:')) finish(e.playback.target_uri.slice('channel:'.length)).catch(fail);
}

await ariEvents(target, app, false, onEvent);
console.log('minimal-app: connected');
// A normal exit, so a --cpu-prof profile (BENCH_CPU_PROF_DIR) is written.
process.on('SIGTERM', () => process.exit(0));
