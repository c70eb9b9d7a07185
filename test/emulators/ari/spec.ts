/**
 * The part of ARI the emulator implements, described compactly and rendered into the
 * Swagger 1.1 documents Asterisk serves at /ari/api-docs. The conformance test checks
 * every operation, parameter and model property here against Asterisk's own definitions.
 */

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type ResourceName = 'channels' | 'playbacks' | 'recordings' | 'applications' | 'events';

export interface ParamSpec {
  readonly name: string;
  readonly paramType: 'path' | 'query' | 'body';
  readonly dataType: string;
  readonly required: boolean;
  readonly allowMultiple: boolean;
}

export interface OperationSpec {
  readonly resource: ResourceName;
  readonly method: HttpMethod;
  /** Path below /ari, with `{name}` placeholders. */
  readonly path: string;
  readonly nickname: string;
  readonly responseClass: string;
  readonly params: readonly ParamSpec[];
}

/** `name[:type][!][*]`: `!` required, `*` allows a comma-separated list; `@body` marks a body param. */
function param(text: string): ParamSpec {
  const m = /^(@?)([A-Za-z_]+)(?::([A-Za-z[\]]+))?(!?)(\*?)$/.exec(text);
  if (!m) throw new Error(`bad param spec ${text}`);
  return {
    name: m[2]!,
    paramType: m[1] ? 'body' : 'query',
    dataType: m[3] ?? 'string',
    required: m[4] === '!',
    allowMultiple: m[5] === '*',
  };
}

function op(
  resource: ResourceName,
  route: string,
  nickname: string,
  responseClass: string,
  ...params: string[]
): OperationSpec {
  const [method, path] = route.split(' ') as [HttpMethod, string];
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(
    (m): ParamSpec => ({ name: m[1]!, paramType: 'path', dataType: 'string', required: true, allowMultiple: false }),
  );
  return { resource, method, path, nickname, responseClass, params: [...pathParams, ...params.map(param)] };
}

const originateParams = [
  'endpoint!', 'extension', 'context', 'priority:long', 'app', 'appArgs', 'callerId', 'timeout:int',
  '@variables:containers', 'otherChannelId',
];

export const OPERATIONS: readonly OperationSpec[] = [
  op('channels', 'GET /channels', 'list', 'List[Channel]'),
  op('channels', 'POST /channels', 'originate', 'Channel', ...originateParams, 'channelId'),
  op('channels', 'GET /channels/{channelId}', 'get', 'Channel'),
  op('channels', 'POST /channels/{channelId}', 'originateWithId', 'Channel', ...originateParams),
  op('channels', 'DELETE /channels/{channelId}', 'hangup', 'void', 'reason_code', 'reason'),
  op('channels', 'POST /channels/{channelId}/continue', 'continueInDialplan', 'void', 'context', 'extension', 'priority:int'),
  op('channels', 'POST /channels/{channelId}/answer', 'answer', 'void'),
  op('channels', 'POST /channels/{channelId}/play', 'play', 'Playback', 'media!*', 'lang', 'playbackId'),
  op('channels', 'POST /channels/{channelId}/record', 'record', 'LiveRecording',
    'name!', 'format!', 'maxDurationSeconds:int', 'maxSilenceSeconds:int', 'ifExists', 'beep:boolean', 'terminateOn'),
  op('channels', 'GET /channels/{channelId}/variable', 'getChannelVar', 'Variable', 'variable!'),
  op('channels', 'POST /channels/{channelId}/variable', 'setChannelVar', 'void', 'variable!', 'value'),
  op('playbacks', 'GET /playbacks/{playbackId}', 'get', 'Playback'),
  op('playbacks', 'DELETE /playbacks/{playbackId}', 'stop', 'void'),
  op('recordings', 'GET /recordings/stored', 'listStored', 'List[StoredRecording]'),
  op('recordings', 'GET /recordings/stored/{recordingName}', 'getStored', 'StoredRecording'),
  op('recordings', 'DELETE /recordings/stored/{recordingName}', 'deleteStored', 'void'),
  op('recordings', 'GET /recordings/stored/{recordingName}/file', 'getStoredFile', 'binary'),
  op('recordings', 'GET /recordings/live/{recordingName}', 'getLive', 'LiveRecording'),
  op('recordings', 'POST /recordings/live/{recordingName}/stop', 'stop', 'void'),
  op('applications', 'GET /applications', 'list', 'List[Application]'),
  op('applications', 'GET /applications/{applicationName}', 'get', 'Application'),
  op('events', 'GET /events', 'eventWebsocket', 'Message', 'app!*', 'subscribeAll:boolean'),
];

/** Model name → property name → Swagger type. Event models list only their own properties. */
export const MODELS: Readonly<Record<ResourceName, Readonly<Record<string, Readonly<Record<string, string>>>>>> = {
  channels: {
    CallerID: { name: 'string', number: 'string' },
    DialplanCEP: { context: 'string', exten: 'string', priority: 'long', app_name: 'string', app_data: 'string' },
    Channel: {
      id: 'string', name: 'string', state: 'string', protocol_id: 'string', caller: 'CallerID',
      connected: 'CallerID', accountcode: 'string', dialplan: 'DialplanCEP', creationtime: 'Date', language: 'string',
    },
    Variable: { value: 'string' },
  },
  playbacks: {
    Playback: {
      id: 'string', media_uri: 'string', next_media_uri: 'string', target_uri: 'string', language: 'string', state: 'string',
    },
  },
  recordings: {
    StoredRecording: { name: 'string', format: 'string' },
    LiveRecording: { name: 'string', format: 'string', target_uri: 'string', state: 'string', duration: 'int' },
  },
  applications: {
    Application: {
      name: 'string', channel_ids: 'List[string]', bridge_ids: 'List[string]', endpoint_ids: 'List[string]',
      device_names: 'List[string]', events_allowed: 'List[object]', events_disallowed: 'List[object]',
    },
  },
  events: {
    Message: { type: 'string', asterisk_id: 'string' },
    Event: { application: 'string', timestamp: 'Date' },
    StasisStart: { args: 'List[string]', channel: 'Channel' },
    StasisEnd: { channel: 'Channel' },
    ChannelStateChange: { channel: 'Channel' },
    ChannelDtmfReceived: { digit: 'string', duration_ms: 'int', channel: 'Channel' },
    ChannelHangupRequest: { cause: 'int', soft: 'boolean', channel: 'Channel' },
    ChannelVarset: { variable: 'string', value: 'string', channel: 'Channel' },
    PlaybackStarted: { playback: 'Playback' },
    PlaybackContinuing: { playback: 'Playback' },
    PlaybackFinished: { playback: 'Playback' },
    RecordingStarted: { recording: 'LiveRecording' },
    RecordingFinished: { recording: 'LiveRecording' },
  },
};

const RESOURCE_DESCRIPTIONS: Readonly<Record<ResourceName, string>> = {
  channels: 'Channel resources',
  playbacks: 'Playback control resources',
  recordings: 'Recording resources',
  applications: 'Stasis application resources',
  events: 'WebSocket resource',
};

export const RESOURCES = Object.keys(RESOURCE_DESCRIPTIONS) as ResourceName[];

const API_VERSION = '10.0.0';

/** `GET /ari/api-docs/resources.json` */
export function renderResourceListing(basePath: string): object {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    apis: RESOURCES.map((r) => ({ path: `/api-docs/${r}.{format}`, description: RESOURCE_DESCRIPTIONS[r] })),
  };
}

/** `GET /ari/api-docs/{resource}.json` */
export function renderApiDeclaration(resource: ResourceName, basePath: string): object {
  const byPath = new Map<string, OperationSpec[]>();
  for (const o of OPERATIONS) {
    if (o.resource !== resource) continue;
    byPath.set(o.path, [...(byPath.get(o.path) ?? []), o]);
  }
  const models: Record<string, object> = {};
  for (const [id, props] of Object.entries(MODELS[resource])) {
    models[id] = {
      id,
      properties: Object.fromEntries(Object.entries(props).map(([name, type]) => [name, { type }])),
    };
  }
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: [...byPath].map(([path, ops]) => ({
      path,
      operations: ops.map((o) => ({
        httpMethod: o.method,
        nickname: o.nickname,
        responseClass: o.responseClass,
        ...(o.resource === 'events' ? { upgrade: 'websocket', websocketProtocol: 'ari' } : {}),
        parameters: o.params.map((p) => ({ ...p })),
      })),
    })),
    models,
  };
}
