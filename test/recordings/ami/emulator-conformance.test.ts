/**
 * The AMI emulator, driven through the situations of the real Asterisk transcripts 01 and 07,
 * must send the same events (names, keys in the same order, values) and the same responses.
 *
 * Values that only a live system has (EventTV, SessionID, addresses) are compared by key only.
 * Across channels, Asterisk's order of hang-up events depends on its threads (01 and 07 differ),
 * so 07's tail is compared per channel.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { AMI_BANNER, AmiEmulator, headerOf, type AmiPacket, type EmuChannel, type LocalCall } from '../../emulators/ami/index.js';
import { haveTranscripts, TRANSCRIPTS_DIR, loadTranscript, RawAmiClient, transcriptPairs, until, type TranscriptEntry } from './helpers.js';

const LIVE_VALUES = new Set(['EventTV', 'SessionID', 'LocalAddress', 'RemoteAddress']);

function comparable(p: AmiPacket): [string, string][] {
  return p.map(([k, v]) => [k, LIVE_VALUES.has(k) ? '*' : v]);
}

interface Replay {
  observer: RawAmiClient;
  responses: Map<string, AmiPacket>;
  clients: RawAmiClient[];
}

/**
 * Plays a transcript against the emulator: each AMI event the emulator has not already produced
 * is driven through the test API, each `ami-sent` action is sent over the wire. An observer
 * session with `read=all` records what the emulator emits.
 */
async function replay(emu: AmiEmulator, entries: TranscriptEntry[]): Promise<Replay> {
  const observer = await RawAmiClient.connect(emu.port);
  await observer.login('observer', 'obs');
  await observer.flush();
  observer.packets.length = 0;
  const actor = await RawAmiClient.connect(emu.port);
  await actor.login('actor', 'act');
  const clients = [observer, actor];
  const responses = new Map<string, AmiPacket>();

  const events = entries.flatMap((e) => (e.kind === 'ami' && 'Event' in e.event ? [e.event] : []));
  const calls = new Map<string, LocalCall>();
  const byId = new Map<string, EmuChannel>();
  const produced = (): number => observer.events().length;
  const channelOf = (ev: Record<string, string>): EmuChannel => {
    const ch = byId.get(ev['Uniqueid'] ?? '');
    if (!ch) throw new Error(`unknown channel ${ev['Uniqueid']}`);
    return ch;
  };
  const sync = (ch: EmuChannel, ev: Record<string, string>): void => {
    emu.goto(ch, { context: ev['Context'], exten: ev['Exten'], priority: Number(ev['Priority']) });
    emu.setState(ch, ev['ChannelStateDesc'] as 'Up');
  };

  let evIndex = 0;
  const drive = async (ev: Record<string, string>, at: number): Promise<void> => {
    const name = ev['Event'];
    if (name === 'NewCallerid' && ev['Channel']?.endsWith(';1')) {
      const inbound = events.slice(at).find((e) => e['Channel'] === ev['Channel']!.replace(/;1$/, ';2'));
      const call = emu.createLocalCall({
        id: ev['Uniqueid']!,
        name: ev['Channel']!.replace(/;1$/, ''),
        context: ev['Context']!,
        exten: ev['Exten']!,
        callerIdNum: ev['CallerIDNum']!,
        callerIdName: ev['CallerIDName']!,
        callerUniqueid: ev['Uniqueid']!,
        inboundUniqueid: inbound!['Uniqueid']!,
      });
      calls.set(ev['Linkedid']!, call);
      byId.set(call.caller.uniqueid, call.caller);
      byId.set(call.inbound.uniqueid, call.inbound);
    } else if (name === 'VarSet') {
      const ch = channelOf(ev);
      sync(ch, ev);
      if (ev['Variable'] === 'MIXMONITOR_FILENAME') emu.startMixMonitor(ch, ev['Value']!);
      else emu.setVar(ch, ev['Variable']!, ev['Value']!);
    } else if (name === 'UserEvent') {
      const ch = channelOf(ev);
      sync(ch, ev);
      const pairs = transcriptPairs(ev);
      const extra = pairs.slice(pairs.findIndex(([k]) => k === 'UserEvent') + 1);
      emu.userEvent(ch, ev['UserEvent']!, extra);
    } else if (name === 'MixMonitorStop') {
      const ch = channelOf(ev);
      sync(ch, ev);
      emu.stopMixMonitor(ch);
    } else if (name === 'SoftHangupRequest' || name === 'HangupRequest') {
      const call = calls.get(ev['Linkedid']!)!;
      for (const ch of [call.caller, call.inbound]) {
        const last = events.slice(at).find((e) => e['Event'] === 'Hangup' && e['Uniqueid'] === ch.uniqueid);
        if (last) sync(ch, last);
      }
      emu.hangupLocalCall(call);
    } else {
      throw new Error(`replay cannot drive ${name} at ${at}`);
    }
  };

  for (const entry of entries) {
    if (entry.kind === 'ami-sent') {
      const id = /ActionID: ([^\r\n]+)/.exec(entry.raw)?.[1] ?? '';
      if (/^Action: Login/i.test(entry.raw)) {
        // A separate connection, as in the transcript; its answer comes a while later.
        const login = await RawAmiClient.connect(emu.port);
        clients.push(login);
        expect(login.raw).toBe(AMI_BANNER);
        login.sendRaw(entry.raw);
        void until(() => login.response(id) !== undefined, 5000).then(
          () => responses.set(id, login.response(id)!),
          () => undefined,
        );
        await until(() => produced() > evIndex);
      } else {
        actor.sendRaw(entry.raw);
        await until(() => actor.response(id) !== undefined);
        responses.set(id, actor.response(id)!);
      }
      await observer.flush();
      continue;
    }
    if (entry.kind !== 'ami' || !('Event' in entry.event)) continue;
    const at = evIndex++;
    if (at < produced()) continue; // already emitted by an earlier step
    await drive(entry.event, at);
    await observer.flush();
  }
  await until(() => produced() >= events.length);
  return { observer, responses, clients };
}

function transcriptEvents(entries: TranscriptEntry[]): AmiPacket[] {
  return entries.flatMap((e) => (e.kind === 'ami' && 'Event' in e.event ? [transcriptPairs(e.event)] : []));
}

function transcriptResponses(entries: TranscriptEntry[]): AmiPacket[] {
  return entries.flatMap((e) => (e.kind === 'ami' && 'Response' in e.event ? [transcriptPairs(e.event)] : []));
}

test('the Asterisk transcripts are there (test/fixtures/asterisk-transcripts)', () => {
  expect(haveTranscripts, `missing ${TRANSCRIPTS_DIR}`).toBe(true);
});

describe('AMI emulator against the Asterisk transcripts', () => {
  let emu: AmiEmulator | undefined;
  let clients: RawAmiClient[] = [];
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await emu?.stop();
  });

  async function start(): Promise<AmiEmulator> {
    emu = await AmiEmulator.start({
      authFailDelayMs: 50,
      users: [
        { username: 'observer', secret: 'obs', read: ['all'], write: [] },
        { username: 'actor', secret: 'act', read: [], write: ['all'] },
        { username: 'consent', secret: 'right', read: ['call', 'dialplan'], write: ['call'] },
      ],
    });
    return emu;
  }

  test('01: Stasis, DTMF, variables, MixMonitor in the dialplan, StopMixMonitor, hang-up — same events in the same order', async () => {
    const entries = loadTranscript('01-stasis-play-dtmf-variable-continue');
    const r = await replay(await start(), entries);
    clients = r.clients;
    expect(r.observer.events().map(comparable)).toEqual(transcriptEvents(entries).map(comparable));
    for (const expected of transcriptResponses(entries)) {
      const id = headerOf(expected, 'ActionID')!;
      expect(r.responses.get(id)).toEqual(expected);
    }
  });

  test('07: wrong secret, MixMonitor and Getvar actions — same responses, events, and no MixMonitorStop at hang-up', async () => {
    const entries = loadTranscript('07-ami-login-failure-and-actions');
    const r = await replay(await start(), entries);
    clients = r.clients;
    const got = r.observer.events().map(comparable);
    const want = transcriptEvents(entries).map(comparable);
    // Everything up to the hang-up in the same global order.
    const tail = want.findIndex((p) => p[0]?.[1] === 'SoftHangupRequest');
    expect(got.slice(0, tail)).toEqual(want.slice(0, tail));
    // The hang-up tail: the same events per channel, in the same order per channel.
    const perChannel = (ps: [string, string][][]): Map<string, [string, string][][]> => {
      const m = new Map<string, [string, string][][]>();
      for (const p of ps) {
        const id = p.find(([k]) => k === 'Uniqueid')?.[1] ?? '';
        m.set(id, [...(m.get(id) ?? []), p]);
      }
      return m;
    };
    expect(perChannel(got.slice(tail))).toEqual(perChannel(want.slice(tail)));
    expect(got.map((p) => p[0]?.[1])).not.toContain('MixMonitorStop');

    await until(() => r.responses.size === transcriptResponses(entries).length, 3000);
    for (const expected of transcriptResponses(entries)) {
      expect(r.responses.get(headerOf(expected, 'ActionID')!)).toEqual(expected);
    }
    // Asterisk ends the session after a failed login.
    const login = r.clients[2]!;
    await until(() => login.closed);
  });
});
