/**
 * ChannelPrompter.playList: prompts played back to back as one ARI playback (issue 18.6, lever b),
 * against scripted ARI events as Asterisk 22 sends them for a list of media (res_stasis_playback.c:
 * PlaybackStarted per media, PlaybackContinuing between them, whether the media played or failed).
 */
import { describe, expect, it } from 'vitest';
import { AriRequestError, type ChannelOps } from '../../../src/telephony/ari/port.js';
import { ChannelEventQueue } from '../../../src/telephony/channel-events.js';
import { ChannelPrompter } from '../../../src/telephony/channel-prompter.js';
import type { PromptItem } from '../../../src/telephony/prompter.js';
import { systemClock } from '../../../src/shared/clock.js';

const T0 = Date.parse('2026-12-07T15:00:00.000Z');
const NOTICE_MS = 2000;

function rig() {
  const calls: string[] = [];
  const events = new ChannelEventQueue();
  const ops: ChannelOps = {
    answer: async () => undefined,
    play: async (_ch, id, media) => void calls.push(`play ${id} ${media}`),
    stopPlayback: async (id) => void calls.push(`stop ${id}`),
    setVariable: async () => undefined,
    setVariables: async () => undefined,
    continueInDialplan: async () => undefined,
    hangup: async () => undefined,
  };
  const prompter = new ChannelPrompter({
    channelId: 'ch-1',
    playbackPrefix: 'call-1',
    ops,
    events,
    clock: systemClock,
    promptLimitMs: 10_000,
    prompts: { get: (id) => ({ media: `sound:consentline/${id}`, version: '1', audioSha256: `sha-${id}`, durationMs: id === 'notice' ? NOTICE_MS : 800 }) },
  });
  return { calls, events, prompter };
}

const NOTICE_THEN_MENU: PromptItem[] = [
  { promptId: 'notice', opts: { interruptible: false, waitDigitMs: 0 } },
  { promptId: 'menu', opts: { interruptible: true, waitDigitMs: 200 } },
];
const PB = 'call-1-1';
const started = (at: number) => ({ type: 'PlaybackStarted', playbackId: PB, at }) as const;
const continuing = (at: number) => ({ type: 'PlaybackContinuing', playbackId: PB, at }) as const;

describe('ChannelPrompter.playList: one playback, each prompt with its own options', () => {
  it('one play request with both media; a key during the notice is ignored, a key during the menu stops the playback and answers it', async () => {
    const { calls, events, prompter } = rig();
    const done = prompter.playList(NOTICE_THEN_MENU, 'pl');
    events.push(started(T0));
    events.push({ type: 'Dtmf', digit: '9', durationMs: 100 });
    events.push(continuing(T0 + NOTICE_MS));
    events.push(started(T0 + NOTICE_MS));
    events.push({ type: 'Dtmf', digit: '1', durationMs: 100 });
    const [notice, menu, more] = await done;
    expect(calls).toEqual([`play ${PB} sound:consentline/notice,sound:consentline/menu`, `stop ${PB}`]);
    expect(more).toBeUndefined();
    expect(notice).toMatchObject({ status: 'finished', ignoredDigits: ['9'], evidence: { promptId: 'notice', playbackId: PB, playback: 'completed', mediaIndex: 0, audioSha256: 'sha-notice' } });
    expect(notice!.digit).toBeUndefined();
    expect(menu).toMatchObject({ status: 'digit', digit: '1', ignoredDigits: [], evidence: { promptId: 'menu', playbackId: PB, playback: 'interrupted', mediaIndex: 1 } });
  });

  it('played to the end: the last prompt waits for a key as a prompt alone does', async () => {
    const { calls, events, prompter } = rig();
    const done = prompter.playList(NOTICE_THEN_MENU, 'pl');
    events.push(started(T0));
    events.push(continuing(T0 + NOTICE_MS));
    events.push(started(T0 + NOTICE_MS));
    events.push({ type: 'PlaybackFinished', playbackId: PB, state: 'done' });
    const results = await done;
    expect(results.map((r) => [r.status, r.evidence.playback])).toEqual([['finished', 'completed'], ['timeout', 'completed']]);
    expect(calls).toEqual([`play ${PB} sound:consentline/notice,sound:consentline/menu`]);
  });

  it('a notice Asterisk could not play (PlaybackContinuing a few ms after its start) is failed, never heard: the rest is stopped', async () => {
    const { calls, events, prompter } = rig();
    const done = prompter.playList(NOTICE_THEN_MENU, 'pl');
    events.push(started(T0));
    events.push(continuing(T0 + 3));
    const results = await done;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed', evidence: { promptId: 'notice', playback: 'failed' } });
    expect(calls.at(-1)).toBe(`stop ${PB}`);
  });

  it('a caller hanging up during the notice: hangup, the menu never reached', async () => {
    const { events, prompter } = rig();
    const done = prompter.playList(NOTICE_THEN_MENU, 'pl');
    events.push(started(T0));
    events.push({ type: 'HangupRequest', cause: 16 });
    const results = await done;
    expect(results.map((r) => r.status)).toEqual(['hangup']);
  });

  it('events of another playback do not move the list on', async () => {
    const { events, prompter } = rig();
    const done = prompter.playList(NOTICE_THEN_MENU, 'pl');
    events.push({ type: 'PlaybackContinuing', playbackId: 'call-1-0', at: T0 + 5000 });
    events.push({ type: 'PlaybackFinished', playbackId: 'call-1-0', state: 'done' });
    events.push({ type: 'Dtmf', digit: '1', durationMs: 100 });
    events.push(started(T0));
    events.push(continuing(T0 + NOTICE_MS));
    events.push({ type: 'Dtmf', digit: '8', durationMs: 100 });
    const results = await done;
    expect(results.map((r) => [r.evidence.promptId, r.status, r.digit ?? null, r.ignoredDigits])).toEqual([
      ['notice', 'finished', null, ['1']],
      ['menu', 'digit', '8', []],
    ]);
  });

  it('only the last prompt of a list may wait for a key', async () => {
    const { prompter } = rig();
    const items: PromptItem[] = [
      { promptId: 'menu', opts: { interruptible: true, waitDigitMs: 100 } },
      { promptId: 'notice', opts: { interruptible: false, waitDigitMs: 0 } },
    ];
    await expect(prompter.playList(items, 'pl')).rejects.toThrow('only the last prompt');
  });

  it('a channel gone before the play: hangup, nothing else asked of Asterisk', async () => {
    const { events } = rig();
    const gone = new ChannelPrompter({
      channelId: 'ch-1',
      playbackPrefix: 'call-2',
      ops: { play: async () => Promise.reject(new AriRequestError('channels.play', 404, 'Channel not found')) } as unknown as ChannelOps,
      events,
      clock: systemClock,
      promptLimitMs: 1000,
      prompts: { get: (id) => ({ media: `sound:${id}`, version: '1', audioSha256: 'x', durationMs: 500 }) },
    });
    expect((await gone.playList(NOTICE_THEN_MENU, 'pl')).map((r) => r.status)).toEqual(['hangup']);
  });
});
