/** ARI REST operations of the emulator, routed by the operations declared in spec.ts. */
import { OPERATIONS, type OperationSpec } from './spec.js';
import { AriHttpError, Pbx } from './pbx.js';
import { CONTENT_TYPES } from './recordings.js';
import { parseCallerId } from './shapes.js';

export interface RestRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly receivedAt: number;
}

export interface RestAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: { readonly contentType: string; readonly data: Buffer };
  /** Runs right after the answer is written: the events a request causes follow its answer. */
  readonly after?: () => void;
  /** The answer waits for this (a command queued behind the playing prompt). */
  readonly until?: Promise<void>;
}

export interface RestContext {
  readonly pbx: Pbx;
  /** The app the emulated dialplan sends `Local/EXTEN@CONTEXT` calls to: `Stasis(app,EXTEN)`. */
  readonly dialplanApp: string;
  /** Applications that ever registered (a WebSocket connected for them). */
  readonly apps: () => readonly string[];
}

type Handler = (ctx: RestContext, req: RestRequest) => RestAnswer;

const NO_CONTENT: RestAnswer = { status: 204 };

function applicationJson(ctx: RestContext, name: string): object {
  const ids: string[] = [];
  for (const ch of ctx.pbx.channels.values()) if (ch.app === name && ch.where === 'stasis') ids.push(ch.id);
  return {
    name,
    channel_ids: ids,
    bridge_ids: [],
    endpoint_ids: [],
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  };
}

function intParam(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AriHttpError(400, `Invalid integer ${value}`);
  return n;
}

function originate(ctx: RestContext, req: RestRequest, channelId: string | undefined): RestAnswer {
  const q = req.query;
  const { pbx } = ctx;
  const caller = parseCallerId(q.callerId ?? '');
  const app = q.app;
  const appArgs = q.appArgs ? q.appArgs.split(',') : [];
  const seq = pbx.nextSeq().toString(16).padStart(8, '0');
  const local = /^Local\/([^@]+)@(.+)$/.exec(q.endpoint ?? '');
  if (!local && !/^[A-Za-z]+\/.+/.test(q.endpoint ?? '')) throw new AriHttpError(400, 'Invalid endpoint');
  if (!app && !q.extension && !q.context) throw new AriHttpError(400, 'Application or extension must be specified');
  if (local) {
    const [, exten, context] = local as unknown as [string, string, string];
    const base = `Local/${exten}@${context}-${seq}`;
    const one = pbx.createChannel({
      id: channelId, name: `${base};1`, caller, context, exten, state: 'Down',
    });
    one.dialplan = { ...one.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
    const two = pbx.createChannel({
      id: q.otherChannelId, name: `${base};2`, caller, context, exten, state: 'Up',
    });
    one.peer = two;
    two.peer = one;
    return {
      status: 200,
      body: one.json(),
      after: () => {
        if (app) pbx.enterStasis(one, app, appArgs);
        else pbx.enterStasis(two, ctx.dialplanApp, [exten]);
      },
    };
  }
  const ch = pbx.createChannel({
    id: channelId,
    name: `${q.endpoint}-${seq}`,
    caller,
    context: q.context ?? 'default',
    exten: q.extension ?? 's',
    priority: intParam(q.priority),
    state: 'Down',
  });
  return { status: 200, body: ch.json(), after: () => app && pbx.enterStasis(ch, app, appArgs) };
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  'channels.list': ({ pbx }) => ({
    status: 200,
    body: [...pbx.channels.values()].filter((c) => c.where !== 'gone').map((c) => c.json()),
  }),
  'channels.originate': (ctx, req) => originate(ctx, req, req.query.channelId),
  'channels.originateWithId': (ctx, req) => originate(ctx, req, req.params.channelId),
  'channels.get': ({ pbx }, req) => ({ status: 200, body: pbx.liveChannel(req.params.channelId!).json() }),
  'channels.hangup': ({ pbx }, req) => {
    const ch = pbx.liveChannel(req.params.channelId!);
    if (!Pbx.validHangupReason(req.query.reason)) throw new AriHttpError(400, 'Invalid reason for hangup provided');
    return { ...NO_CONTENT, after: () => pbx.appHangup(ch, req.query.reason, req.query.reason_code) };
  },
  'channels.continueInDialplan': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    const target = pbx.continueTarget(ch, req.query.context, req.query.extension, intParam(req.query.priority));
    // Asynchronous on Asterisk's control queue: 204 at once, the continue itself after the prompt.
    const run = () => ch.where === 'stasis' && pbx.continueInDialplan(ch, target);
    return { ...NO_CONTENT, after: () => void pbx.whenIdle(ch).then(run) };
  },
  'channels.answer': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    return { ...NO_CONTENT, after: () => pbx.answer(ch) };
  },
  'channels.play': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    ch.firstPlayAt ??= req.receivedAt;
    const media = req.query.media!.split(',').filter(Boolean);
    const pb = pbx.createPlayback(ch, media, req.query.lang, req.query.playbackId);
    return { status: 201, body: pb.json(), after: () => pbx.startIfCurrent(pb) };
  },
  'channels.record': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    const format = req.query.format!;
    if (!(format in CONTENT_TYPES)) throw new AriHttpError(422, 'Recording format not found');
    const ifExists = req.query.ifExists ?? 'fail';
    if (!['fail', 'overwrite', 'append'].includes(ifExists)) throw new AriHttpError(400, 'ifExists invalid');
    const rec = pbx.createRecording(ch, req.query.name!, format, ifExists);
    const max = intParam(req.query.maxDurationSeconds) ?? 0;
    return { status: 201, body: rec.json(), after: () => pbx.startRecording(rec, max) };
  },
  'channels.getChannelVar': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    const value = ch.vars.get(req.query.variable!);
    if (value === undefined) throw new AriHttpError(404, 'Provided variable was not found');
    return { status: 200, body: { value } };
  },
  'channels.setChannelVar': ({ pbx }, req) => {
    const ch = pbx.channelInStasis(req.params.channelId!);
    const name = req.query.variable!;
    const value = req.query.value;
    // Synchronous on the control queue: the answer comes once the variable is set.
    return { ...NO_CONTENT, until: pbx.whenIdle(ch), after: () => ch.where === 'stasis' && pbx.setVariable(ch, name, value) };
  },
  'playbacks.get': ({ pbx }, req) => {
    const pb = pbx.playbacks.get(req.params.playbackId!);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    return { status: 200, body: pb.json() };
  },
  'playbacks.stop': ({ pbx }, req) => {
    const pb = pbx.playbacks.get(req.params.playbackId!);
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    return { ...NO_CONTENT, after: () => pbx.stopPlayback(pb) };
  },
  'recordings.listStored': ({ pbx }) => ({
    status: 200,
    body: [...pbx.stored.values()].map((r) => ({ name: r.name, format: r.format })),
  }),
  'recordings.getStored': ({ pbx }, req) => {
    const r = pbx.stored.get(req.params.recordingName!);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { status: 200, body: { name: r.name, format: r.format } };
  },
  'recordings.deleteStored': ({ pbx }, req) => {
    if (!pbx.stored.delete(req.params.recordingName!)) throw new AriHttpError(404, 'Recording not found');
    return NO_CONTENT;
  },
  'recordings.getStoredFile': ({ pbx }, req) => {
    const r = pbx.stored.get(req.params.recordingName!);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { status: 200, raw: { contentType: CONTENT_TYPES[r.format] ?? 'application/octet-stream', data: r.data } };
  },
  'recordings.getLive': ({ pbx }, req) => {
    const r = pbx.liveRecordings.get(req.params.recordingName!);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { status: 200, body: r.json() };
  },
  'recordings.stop': ({ pbx }, req) => {
    const r = pbx.liveRecordings.get(req.params.recordingName!);
    if (!r) throw new AriHttpError(404, 'Recording not found');
    return { ...NO_CONTENT, after: () => pbx.finishRecording(r) };
  },
  'applications.list': (ctx) => ({ status: 200, body: ctx.apps().map((a) => applicationJson(ctx, a)) }),
  'applications.get': (ctx, req) => {
    const name = req.params.applicationName!;
    if (!ctx.apps().includes(name)) throw new AriHttpError(404, 'Application not found');
    return { status: 200, body: applicationJson(ctx, name) };
  },
};

interface Route {
  readonly op: OperationSpec;
  readonly re: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
}

const ROUTES: readonly Route[] = OPERATIONS.filter((o) => o.resource !== 'events').map((op) => {
  const handler = HANDLERS[`${op.resource}.${op.nickname}`];
  if (!handler) throw new Error(`no handler for ${op.resource}.${op.nickname}`);
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const re = new RegExp(`^${op.path.replace(/\{\w+\}/g, '([^/]+)')}$`);
  return { op, re, names, handler };
});

/** Answers one REST request (path below `/ari`) as Asterisk would. */
export function dispatch(
  ctx: RestContext,
  method: string,
  path: string,
  query: Readonly<Record<string, string>>,
  body: unknown,
  receivedAt: number,
): RestAnswer {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.re.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.op.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    for (const p of route.op.params) {
      if (p.required && p.paramType === 'query' && !query[p.name]) {
        return { status: 400, body: { message: `${p.name}: Missing required parameter` } };
      }
    }
    try {
      return route.handler(ctx, { params, query, body, receivedAt });
    } catch (err) {
      if (err instanceof AriHttpError) return { status: err.status, body: { message: err.message } };
      throw err;
    }
  }
  return pathMatched
    ? { status: 405, body: { message: 'Invalid method' } }
    : { status: 404, body: { message: 'Resource not found' } };
}

