import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEGAL_BASES } from '../../src/config/schema.js';
import { EVENT_KINDS } from '../../src/evidence/types.js';
import { REDACT_PATHS } from '../../src/shared/log.js';

const docs = join(import.meta.dirname, '../../docs');
const read = (name: string) => readFileSync(join(docs, name), 'utf8');

/** Facts the docs state that live in code: the docs must follow when the code changes. */
describe('docs follow the code', () => {
  it('data-protection.md lists exactly the redacted log paths', () => {
    const doc = read('data-protection.md');
    const section = doc.slice(doc.indexOf('## What never reaches the logs'), doc.indexOf('## Legal bases modelled'));
    const listed = new Set([...section.matchAll(/`([A-Za-z0-9.*]+)`/g)].map((m) => m[1]!));
    for (const path of REDACT_PATHS) {
      const bare = path.startsWith('*.') ? path.slice(2) : path;
      expect(listed.has(bare) || listed.has(path), `${path} missing from data-protection.md`).toBe(true);
    }
  });

  it('data-protection.md describes every legal basis the schema allows', () => {
    const doc = read('data-protection.md');
    for (const basis of LEGAL_BASES) expect(doc).toContain(`| \`${basis}\` |`);
  });

  it('architecture.md names only event kinds that exist', () => {
    const doc = read('architecture.md');
    const section = doc.slice(doc.indexOf('Event kinds written today'), doc.indexOf('## The composition root'));
    const named = [...section.matchAll(/`([a-z]+\.[a-z_*]+)`/g)].map((m) => m[1]!).filter((k) => !k.endsWith('*'));
    expect(named.length).toBeGreaterThan(10);
    for (const kind of named) expect(EVENT_KINDS, kind).toContain(kind);
  });
});
