import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PROMPT_IDS } from '../config/defaults.js';

/**
 * Prompt texts: one YAML file per language (audio-prompts/<lang>.yaml). The text after
 * placeholder substitution is what the audio says; its SHA-256 goes into the manifest so
 * an auditor can tie a played file back to the words.
 */

const lang = z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language code like "pl" or "en"');
const placeholderName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case');

const TextPart = z.strictObject({ lang, text: z.string().min(1) });

export const PromptSourceSchema = z.strictObject({
  id: z.enum(PROMPT_IDS),
  /** Any string; bump it whenever the wording changes. Numbers are accepted and kept as text. */
  version: z.union([z.string().min(1), z.number()]).transform(String),
  /** Plain text, or parts each spoken with its own language's voice (bilingual prompts). */
  text: z.union([z.string().min(1), z.array(TextPart).min(1)]),
});

export const PromptSourceFileSchema = z
  .strictObject({
    lang,
    /** True while the placeholder values are the shipped samples, not the controller's real details. */
    placeholders_are_samples: z.boolean().default(false),
    placeholders: z.record(placeholderName, z.string().min(1)).default({}),
    /** Optional espeak-ng voice per language (defaults: pl → pl, en → en-gb). */
    voices: z.record(lang, z.string().min(1)).optional(),
    prompts: z.array(PromptSourceSchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, p] of file.prompts.entries()) {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['prompts', i, 'id'], message: `duplicate prompt id "${p.id}"` });
      seen.add(p.id);
    }
    for (const id of PROMPT_IDS) {
      if (!seen.has(id)) ctx.addIssue({ code: 'custom', path: ['prompts'], message: `prompt "${id}" is missing` });
    }
  });
export type PromptSourceFile = z.infer<typeof PromptSourceFileSchema>;
export type PromptSource = z.infer<typeof PromptSourceSchema>;

/** One prompt with its placeholders filled in. */
export interface RenderedText {
  readonly id: (typeof PROMPT_IDS)[number];
  readonly lang: string;
  readonly version: string;
  /** Spoken parts in order; a plain-text prompt has one part in the file's language. */
  readonly parts: readonly { readonly lang: string; readonly text: string }[];
  /** The parts joined by "\n": the canonical text that textSha256 covers. */
  readonly text: string;
  readonly textSha256: string;
  /** True when the text uses placeholders and the file says their values are samples. */
  readonly samplePlaceholders: boolean;
}

const PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;

/** Collapses YAML folding leftovers so the hash does not depend on line wrapping. */
function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Fills `{{name}}` from `values`; throws naming every placeholder that has no value,
 * so a prompt never goes out with "{{controller_name}}" read aloud.
 */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>, where = 'text'): { text: string; used: boolean } {
  const missing = new Set<string>();
  let used = false;
  const out = text.replace(PLACEHOLDER, (_m, name: string) => {
    used = true;
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return '';
    }
    return normalise(v);
  });
  if (missing.size > 0) {
    throw new Error(`${where}: no value for placeholder ${[...missing].map((n) => `{{${n}}}`).join(', ')}; add it under "placeholders:"`);
  }
  if (/\{\{|\}\}/.test(out)) throw new Error(`${where}: malformed placeholder (use {{lower_snake_case}})`);
  return { text: normalise(out), used };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Renders every prompt of one parsed source file. */
export function renderSourceFile(file: PromptSourceFile, fileName = `${file.lang}.yaml`): RenderedText[] {
  return file.prompts.map((p) => {
    const raw = typeof p.text === 'string' ? [{ lang: file.lang, text: p.text }] : p.text;
    let used = false;
    const parts = raw.map((part, i) => {
      const r = fillPlaceholders(part.text, file.placeholders, `${fileName}: prompt "${p.id}"${raw.length > 1 ? ` part ${i + 1}` : ''}`);
      used ||= r.used;
      return { lang: part.lang, text: r.text };
    });
    const text = parts.map((x) => x.text).join('\n');
    return {
      id: p.id,
      lang: file.lang,
      version: p.version,
      parts,
      text,
      textSha256: sha256Hex(text),
      samplePlaceholders: used && file.placeholders_are_samples,
    };
  });
}

/** Parses one `<lang>.yaml`; errors name the file and the field. */
export function parsePromptSource(yamlText: string, fileName: string): PromptSourceFile {
  const data: unknown = parseYaml(yamlText);
  const r = PromptSourceFileSchema.safeParse(data);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Error(`${fileName} is not a valid prompt source:\n${lines.join('\n')}`);
  }
  const expected = fileName.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  if (expected !== r.data.lang) throw new Error(`${fileName}: lang is "${r.data.lang}" but the file name says "${expected}"`);
  return r.data;
}

/** Reads every `<lang>.yaml` in `dir`, sorted by language. */
export async function loadPromptSources(dir: string): Promise<PromptSourceFile[]> {
  const names = (await readdir(dir)).filter((n) => /^[a-z]{2}(_[A-Z]{2})?\.ya?ml$/.test(n)).sort();
  if (names.length === 0) throw new Error(`${dir}: no prompt sources (<lang>.yaml) found`);
  return Promise.all(names.map(async (n) => parsePromptSource(await readFile(join(dir, n), 'utf8'), join(dir, n))));
}
