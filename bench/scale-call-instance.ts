// One ConsentLine instance for bench:scale's call set-up phase: the real service (ARI
// adapter, flow, evidence store on the engine given) against one ARI emulator. Prints "ready"
// once its ARI link is up, stops on the line "stop" (or stdin closing).
//
//   tsx bench/scale-call-instance.ts --database <sqlite:PATH | postgres://…> --ari <url> --instance <id>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { benchServiceConfig } from './emulator-control.js';
import { realAri } from '../src/main-ari.js';
import { loadPromptCatalog } from '../src/prompts/manifest.js';
import { startService } from '../src/server.js';
import { createLogger } from '../src/shared/log.js';

const { values } = parseArgs({ options: { database: { type: 'string' }, ari: { type: 'string' }, instance: { type: 'string', default: 'bench-1' } } });
const dataDir = mkdtempSync(join(tmpdir(), 'cl-scale-call-'));
const config = benchServiceConfig({
  dataDir,
  ariUrl: values.ari!,
  database: values.database!,
  instanceId: values.instance!,
  server: `pbx-${values.instance}`,
});
const service = await startService({ config, log: createLogger({ level: 'warn' }), createAri: realAri, loadPrompts: (dir) => loadPromptCatalog(dir) });
while (service.calls.status().down.length) await new Promise((r) => setTimeout(r, 50));
process.stdout.write('ready\n');
const stdin = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => {
  stdin.on('line', (line) => line === 'stop' && resolve());
  stdin.on('close', resolve);
});
stdin.close();
await service.calls.drain();
await service.stop();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write('stopped\n');
