/**
 * One real SIP call: sipp (Debian sip-tester) calls the hotline DID on the test-only PJSIP endpoint
 * (RFC 4733 DTMF), and presses 9 with sip-tester's own RFC 2833 pcap: the objection reaches
 * ConsentLine over SIP/RTP, not only over Local channels.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from './harness/asterisk.js';
import type { AriEvent } from './harness/observer.js';
import { TestCall } from './harness/observer.js';
import { DID, rigForFile } from './setup.js';

const run = promisify(execFile);
const PCAP_9 = '/usr/share/sip-tester/dtmf_2833_9.pcap';
const rigOf = rigForFile();

type Named = AriEvent & { channel?: { id: string; name?: string } };

describe.sequential('real Asterisk: a SIP call with RFC 4733 DTMF', () => {
  it('sipp presses 9 during the menu: objection, CONSENT_RECORDING=no, unrecorded, in the ledger', async () => {
    const rig = rigOf();
    const scenario = join(rig.dir, 'dtmf-call.xml');
    const xml = await readFile(join(REPO, 'test/asterisk/sipp/dtmf-call.xml'), 'utf8');
    // Notice and menu are one word each: 3 s after the answer the menu waits for a key (2.5 s, three times).
    await writeFile(scenario, xml.replaceAll('@PAUSE_MS@', '3000').replaceAll('@KEY_PCAP@', PCAP_9));
    const sipp = run(
      'sipp',
      ['-sf', scenario, '-s', DID.hotline, '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', '0', '-m', '1', '-l', '1', '-nostdin', '-timeout', '120s', '-trace_err', `127.0.0.1:${rig.asterisk.sipPort}`],
      { cwd: rig.dir, timeout: 150_000 },
    );
    const created = (await rig.observer.waitFor('a PJSIP/sipp channel', (e: Named) => (e.channel?.name ?? '').startsWith('PJSIP/sipp-'), 30_000)) as Named;
    const call = new TestCall(rig.observer, created.channel!.id, '');
    await call.reaches('consentline-after', 'Queue', 40_000);
    const done = await sipp.catch((err: { code?: number; stdout?: string; stderr?: string }) => {
      throw new Error(`sipp failed (${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`);
    });
    expect(done.stderr).not.toMatch(/error/i);

    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no', flowId: 'hotline', did: DID.hotline });
    const dtmf = rig.observer.events.filter((e) => e.type === 'ChannelDtmfReceived' && e.channel?.id === call.ivrId).map((e) => e.digit);
    expect(dtmf).toEqual(['9']);
    expect(call.variables()).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_ID: ended.callId, CONSENT_MARKETING: 'none', CONSENT_LANG: 'pl' });
    expect(call.played()).toContain('sound:consentline/objection-confirmed');
    expect(call.dialplan().some((d) => d.includes(':MixMonitor('))).toBe(false);
    const objection = rig.ledger.events(ended.callId).find((e) => e.kind === 'objection.made');
    expect(objection).toBeDefined();
  });
});
