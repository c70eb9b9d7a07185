import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, OPERATIONS, RESOURCES } from '../../emulators/ari/spec.js';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { captureLogger, recordApp, until } from './helpers.js';
import { findOperation, loadAriDocs } from './shared-docs.js';

const docs = loadAriDocs();

describe('emulator API description conforms to Asterisk 22 ARI', () => {
  it('declares only resources Asterisk lists', () => {
    const listed = docs.listing.apis.map((a) => a.path);
    for (const r of RESOURCES) expect(listed).toContain(`/api-docs/${r}.{format}`);
  });

  it.each(OPERATIONS.map((o) => [`${o.method} ${o.path}`, o] as const))('%s', (_, op) => {
    const doc = docs.operations.find((d) => d.resource === op.resource && d.method === op.method && d.path === op.path);
    expect(doc, `${op.method} ${op.path} is not in ${op.resource}.json`).toBeDefined();
    expect(op.nickname).toBe(doc!.nickname);
    expect(op.responseClass).toBe(doc!.responseClass);
    for (const p of op.params) {
      const dp = doc!.params.find((d) => d.name === p.name);
      expect(dp, `parameter ${p.name} of ${op.path}`).toBeDefined();
      expect({ paramType: p.paramType, dataType: p.dataType, allowMultiple: p.allowMultiple }).toEqual({
        paramType: dp!.paramType,
        dataType: dp!.dataType,
        allowMultiple: dp!.allowMultiple ?? false,
      });
      expect(p.required, `required flag of ${p.name}`).toBe(dp!.required ?? false);
    }
    for (const dp of doc!.params.filter((d) => d.required)) {
      expect(op.params.map((p) => p.name), `required ${dp.name} not declared`).toContain(dp.name);
    }
  });

  it('declares model properties with Asterisk types', () => {
    for (const byModel of Object.values(MODELS)) {
      for (const [model, props] of Object.entries(byModel)) {
        const doc = docs.models.get(model);
        expect(doc, `model ${model}`).toBeDefined();
        for (const [prop, type] of Object.entries(props)) {
          expect(doc![prop], `${model}.${prop}`).toBe(type);
        }
      }
    }
  });
});

describe('adapter uses only documented ARI operations and parameters', () => {
  let emu: AriEmulator;
  let ari: AriAdapter;

  beforeAll(async () => {
    emu = await AriEmulator.start({ defaultPlaybackMs: 20 });
    ari = new AriAdapter({ url: emu.url, username: emu.username, password: emu.password, app: emu.app, logger: captureLogger().logger });
    const rec = recordApp();
    await ari.start(rec.events);
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.answer(call.id);
    await ari.play(call.id, 'pb', 'sound:x', 'en');
    await ari.stopPlayback('pb');
    await ari.setVariable(call.id, 'A', 'b');
    await ari.listAppChannels();
    await ari.getChannel(call.id);
    await ari.continueInDialplan(call.id, { context: 'c', extension: 's', priority: 1 });
    const other = emu.originate();
    await until(() => rec.log.filter((r) => r.kind === 'start').length === 2, 'second StasisStart');
    await ari.hangup(other.id);
  });

  afterAll(async () => {
    await ari.close();
    await emu.close();
  });

  it('every request the adapter sent maps to a documented operation and parameters', () => {
    const used = new Set<string>();
    for (const r of emu.requests) {
      const op = findOperation(docs, r.method, r.path);
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      used.add(`${op!.resource}.${op!.nickname}`);
      for (const q of Object.keys(r.query)) {
        expect(op!.params.map((p) => p.name), `${q} on ${op!.nickname}`).toContain(q);
      }
      for (const p of op!.params.filter((d) => d.required && d.paramType === 'query')) {
        expect(Object.keys(r.query)).toContain(p.name);
      }
    }
    expect([...used].sort()).toEqual([
      'applications.get',
      'channels.answer',
      'channels.continueInDialplan',
      'channels.get',
      'channels.hangup',
      'channels.play',
      'channels.setChannelVar',
      'playbacks.stop',
    ]);
  });
});
