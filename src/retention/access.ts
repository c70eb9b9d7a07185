import type { CallSummary, JsonValue, StoredEvent } from '../evidence/types.js';
import type { CallRecording } from './repo.js';

export type ExportLang = 'pl' | 'en';

export interface ExportedCall {
  readonly callId: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** Where the data came from: the line the caller dialled and the flow that answered. */
  readonly source: { readonly flowId: string | null; readonly did: string | null; readonly server: string | null; readonly legalBasis: string | null };
  readonly language: string | null;
  readonly outcome: string | null;
  readonly noticesHeard: ReadonlyArray<{ at: string; promptId: string; version: string | null; lang: string | null; playback: string | null; audioSha256: string | null; step: string | null }>;
  readonly clauseListened: ReadonlyArray<{ at: string; completed: boolean | null }>;
  readonly consents: ReadonlyArray<{ at: string; kind: 'recording' | 'marketing'; decision: string; legalBasis?: string; how?: string; controller?: string; channels?: readonly string[] }>;
  readonly objections: ReadonlyArray<{ at: string }>;
  readonly recordings: ReadonlyArray<{
    recordingId: string;
    state: string;
    capturedAt: string;
    stoppedAt: string | null;
    bytes: number | null;
    sha256: string | null;
    store: string | null;
    retainUntil: string | null;
    /** A decrypted copy can be made here (stored, and this host holds the decrypting key). */
    decryptable: boolean;
  }>;
}

/** An access request's answer (Art. 15): the data, and a summary a person can read. */
export interface AccessExport {
  readonly type: 'consentline-access-export-v1';
  readonly generatedAt: string;
  readonly lang: ExportLang;
  readonly controller: { readonly name: string; readonly contact?: string };
  readonly subject: { readonly masked: string };
  readonly calls: readonly ExportedCall[];
}

const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

export function exportCall(callId: string, call: CallSummary | null, events: readonly StoredEvent[], recordings: readonly CallRecording[], canDecrypt: boolean): ExportedCall {
  const started = events.find((e) => e.kind === 'call.started');
  const sd = started?.data ?? {};
  const noticesHeard = events
    .filter((e) => e.kind === 'prompt.played')
    .map((e) => ({
      at: e.at,
      promptId: str(e.data.promptId) ?? '?',
      version: str(e.data.version),
      lang: str(e.data.lang),
      playback: str(e.data.playback),
      audioSha256: str(e.data.audioSha256),
      step: str(e.data.step),
    }));
  const consents: ExportedCall['consents'][number][] = [];
  for (const e of events) {
    if (e.kind === 'consent.recording') {
      consents.push({
        at: e.at,
        kind: 'recording',
        decision: str(e.data.decision) ?? '?',
        ...(str(e.data.legalBasis) ? { legalBasis: str(e.data.legalBasis)! } : {}),
        ...(str(e.data.how) ? { how: str(e.data.how)! } : {}),
      });
    } else if (e.kind === 'consent.marketing') {
      consents.push({
        at: e.at,
        kind: 'marketing',
        decision: str(e.data.decision) ?? '?',
        ...(str(e.data.controller) ? { controller: str(e.data.controller)! } : {}),
        ...(Array.isArray(e.data.channels) ? { channels: e.data.channels.filter((c): c is string => typeof c === 'string') } : {}),
      });
    }
  }
  return {
    callId,
    startedAt: call?.startedAt ?? started?.at ?? null,
    endedAt: call?.endedAt ?? null,
    source: {
      flowId: call?.flowId ?? str(sd.flowId),
      did: call?.did ?? str(sd.did),
      server: call?.server ?? str(sd.server),
      legalBasis: call?.legalBasis ?? str(sd.legalBasis),
    },
    language: call?.language ?? str(sd.lang),
    outcome: call?.outcome ?? null,
    noticesHeard,
    clauseListened: events.filter((e) => e.kind === 'clause.listened').map((e) => ({ at: e.at, completed: typeof e.data.completed === 'boolean' ? e.data.completed : null })),
    consents,
    objections: events.filter((e) => e.kind === 'objection.made').map((e) => ({ at: e.at })),
    recordings: recordings.map((r) => ({
      recordingId: r.id,
      state: r.state,
      capturedAt: r.started_at,
      stoppedAt: r.stopped_at,
      bytes: r.plaintext_bytes,
      sha256: r.plaintext_sha256,
      store: r.store,
      retainUntil: r.retain_until,
      decryptable: canDecrypt && r.state === 'done' && r.object_key !== null,
    })),
  };
}

const T = {
  en: {
    title: 'Your data held by',
    intro: (n: number, masked: string) =>
      n === 0
        ? `We hold no calls from the number ${masked}.`
        : `We hold ${n} call(s) from the number ${masked}. For each call: where it came in, what you were told, and what you decided.`,
    generated: 'Generated',
    call: 'Call',
    line: 'Number you called',
    flow: 'Service (flow)',
    basis: 'Legal basis for recording',
    lang: 'Language',
    outcome: 'Outcome',
    notices: 'Notices and information clauses played',
    none: 'none',
    consents: 'Your decisions',
    objection: 'You objected to recording',
    recordings: 'Recordings',
    recording: (r: ExportedCall['recordings'][number]) =>
      `recording ${r.recordingId}, captured ${r.capturedAt}, ${r.state === 'deleted' ? 'deleted' : 'held'}${r.retainUntil ? `, locked until ${r.retainUntil}` : ''}`,
    contact: 'Contact',
    played: (p: ExportedCall['noticesHeard'][number]) => `${p.at}: "${p.promptId}" version ${p.version ?? '?'} (${p.lang ?? '?'}), ${p.playback === 'completed' ? 'played to the end' : `playback ${p.playback ?? '?'}`}`,
    decision: (c: ExportedCall['consents'][number]) =>
      c.kind === 'recording' ? `${c.at}: recording of the call: ${c.decision}${c.how ? ` (${c.how})` : ''}` : `${c.at}: marketing contact${c.controller ? ` by ${c.controller}` : ''}${c.channels ? ` (${c.channels.join(', ')})` : ''}: ${c.decision}`,
  },
  pl: {
    title: 'Twoje dane przetwarzane przez',
    intro: (n: number, masked: string) =>
      n === 0
        ? `Nie przechowujemy żadnych połączeń z numeru ${masked}.`
        : `Przechowujemy ${n} połączeń z numeru ${masked}. Dla każdego: skąd pochodzi, o czym Pan/Pani został(a) poinformowany(-a) i jakie decyzje podjął/podjęła.`,
    generated: 'Wygenerowano',
    call: 'Połączenie',
    line: 'Wybrany numer',
    flow: 'Usługa (scenariusz)',
    basis: 'Podstawa prawna nagrywania',
    lang: 'Język',
    outcome: 'Wynik',
    notices: 'Odtworzone komunikaty i klauzule informacyjne',
    none: 'brak',
    consents: 'Pana/Pani decyzje',
    objection: 'Sprzeciw wobec nagrywania',
    recordings: 'Nagrania',
    recording: (r: ExportedCall['recordings'][number]) =>
      `nagranie ${r.recordingId}, zarejestrowane ${r.capturedAt}, ${r.state === 'deleted' ? 'usunięte' : 'przechowywane'}${r.retainUntil ? `, blokada do ${r.retainUntil}` : ''}`,
    contact: 'Kontakt',
    played: (p: ExportedCall['noticesHeard'][number]) =>
      `${p.at}: „${p.promptId}” wersja ${p.version ?? '?'} (${p.lang ?? '?'}), ${p.playback === 'completed' ? 'odsłuchany do końca' : `odtwarzanie: ${p.playback ?? '?'}`}`,
    decision: (c: ExportedCall['consents'][number]) =>
      c.kind === 'recording'
        ? `${c.at}: nagrywanie rozmowy: ${PL_DECISION[c.decision] ?? c.decision}${c.how ? ` (${c.how})` : ''}`
        : `${c.at}: kontakt marketingowy${c.controller ? ` przez ${c.controller}` : ''}${c.channels ? ` (${c.channels.join(', ')})` : ''}: ${PL_DECISION[c.decision] ?? c.decision}`,
  },
} as const;

const PL_DECISION: Record<string, string> = { granted: 'zgoda', refused: 'odmowa', no_answer: 'brak odpowiedzi', objected: 'sprzeciw', yes: 'tak', no: 'nie', none: 'nie pytano' };

/** The export as Markdown, in Polish or English. */
export function accessSummaryMarkdown(x: AccessExport): string {
  const t = T[x.lang];
  const lines = [`# ${t.title} ${x.controller.name}`, '', t.intro(x.calls.length, x.subject.masked), '', `${t.generated}: ${x.generatedAt}`];
  if (x.controller.contact) lines.push(`${t.contact}: ${x.controller.contact}`);
  for (const c of x.calls) {
    lines.push('', `## ${t.call} ${c.startedAt ?? ''} (${c.callId})`, '');
    lines.push(`- ${t.line}: ${c.source.did ?? '?'}`, `- ${t.flow}: ${c.source.flowId ?? '?'}`, `- ${t.basis}: ${c.source.legalBasis ?? '?'}`);
    lines.push(`- ${t.lang}: ${c.language ?? '?'}`, `- ${t.outcome}: ${c.outcome ?? '?'}`);
    lines.push('', `### ${t.notices}`, '');
    if (c.noticesHeard.length === 0) lines.push(`- ${t.none}`);
    for (const p of c.noticesHeard) lines.push(`- ${t.played(p)}`);
    lines.push('', `### ${t.consents}`, '');
    if (c.consents.length === 0 && c.objections.length === 0) lines.push(`- ${t.none}`);
    for (const d of c.consents) lines.push(`- ${t.decision(d)}`);
    for (const o of c.objections) lines.push(`- ${o.at}: ${t.objection}`);
    lines.push('', `### ${t.recordings}`, '');
    if (c.recordings.length === 0) lines.push(`- ${t.none}`);
    for (const r of c.recordings) lines.push(`- ${t.recording(r)}`);
  }
  return `${lines.join('\n')}\n`;
}
