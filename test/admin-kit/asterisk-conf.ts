/**
 * Just enough of Asterisk's config syntax to check the samples: sections, `key = value` /
 * `key => value` lines (repeatable, in order), `;` comments (`\;` escapes), `;-- --;` blocks,
 * and dialplan priorities with labels.
 */

export interface ConfLine {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export function stripComments(text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    let line = raw;
    if (inBlock) {
      const end = line.indexOf('--;');
      if (end < 0) {
        out.push('');
        continue;
      }
      line = line.slice(end + 3);
      inBlock = false;
    }
    let result = '';
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (ch === '\\' && line[i + 1] === ';') {
        result += ';';
        i++;
      } else if (ch === ';') {
        if (line.startsWith(';--', i) && !line.includes('--;', i + 3)) inBlock = true;
        break;
      } else {
        result += ch;
      }
    }
    out.push(result.trimEnd());
  }
  return out;
}

export function parseConf(text: string): ConfLine[] {
  const lines: ConfLine[] = [];
  let section = '';
  stripComments(text).forEach((l, i) => {
    const t = l.trim();
    if (!t) return;
    const sec = /^\[([^\]]+)\]/.exec(t);
    if (sec) {
      section = sec[1]!;
      return;
    }
    const eq = t.indexOf('=');
    if (eq < 0) throw new Error(`line ${i + 1}: not "key = value": ${t}`);
    const key = t.slice(0, eq).trim();
    let value = t.slice(eq + 1);
    if (value.startsWith('>')) value = value.slice(1);
    lines.push({ section, key, value: value.trim(), line: i + 1 });
  });
  return lines;
}

export function sections(conf: readonly ConfLine[]): string[] {
  return [...new Set(conf.map((l) => l.section))];
}

export function values(conf: readonly ConfLine[], section: string, key: string): string[] {
  return conf.filter((l) => l.section === section && l.key === key).map((l) => l.value);
}

export function value(conf: readonly ConfLine[], section: string, key: string): string | undefined {
  const v = values(conf, section, key);
  return v[v.length - 1];
}

export interface Priority {
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
  readonly label: string | undefined;
  readonly app: string;
  /** Raw argument text between the outer parentheses. */
  readonly args: string;
  readonly line: number;
}

/** Splits at top-level commas (outside (), [], {} ), the way dialplan arguments nest. */
export function splitArgs(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

export function parseDialplan(text: string): Priority[] {
  const out: Priority[] = [];
  let lastExten: { context: string; exten: string; priority: number } | undefined;
  for (const l of parseConf(text)) {
    if (l.key !== 'exten' && l.key !== 'same') continue;
    let exten: string;
    let rest: string;
    if (l.key === 'exten') {
      const comma = l.value.indexOf(',');
      exten = l.value.slice(0, comma).trim();
      rest = l.value.slice(comma + 1);
    } else {
      if (!lastExten || lastExten.context !== l.section) throw new Error(`line ${l.line}: "same" without an exten`);
      exten = lastExten.exten;
      rest = l.value;
    }
    const m = /^\s*([0-9]+|n|hint)(?:\(([A-Za-z0-9_-]+)\))?\s*,\s*([A-Za-z0-9_]+)(?:\((.*)\))?\s*$/.exec(rest);
    if (!m) throw new Error(`line ${l.line}: cannot parse priority "${rest}"`);
    const priority = m[1] === 'n' ? (lastExten && lastExten.exten === exten && lastExten.context === l.section ? lastExten.priority + 1 : 1) : Number(m[1]);
    out.push({ context: l.section, exten, priority, label: m[2], app: m[3]!, args: m[4] ?? '', line: l.line });
    lastExten = { context: l.section, exten, priority };
  }
  return out;
}

/** GotoIf(cond?true:false) → its parts; labels may be "label", "exten,label" or "ctx,exten,label". */
export function parseGotoIf(args: string): { cond: string; ifTrue: string; ifFalse: string } {
  const q = args.lastIndexOf('?');
  const cond = args.slice(0, q);
  const [ifTrue = '', ifFalse = ''] = args.slice(q + 1).split(':');
  return { cond, ifTrue, ifFalse };
}
