import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import { expect } from 'vitest';

/*
 * The Kantara Consent Receipt v1.1 JSON schema (Draft-4; test/fixtures/kantara/README.md says
 * where it comes from), compiled by ajv-draft-04: a validator ConsentLine did not write.
 */
const schemaPath = join(import.meta.dirname, '..', 'fixtures', 'kantara', 'kantara-consent-receipt-v1_1-schema.json');
// A CommonJS module: its class is the `default` property of what ESM imports.
const Ajv04 = ajvDraft04.default;
const ajv = new Ajv04({ allErrors: true, strict: false });
export const validateKantara = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

/** Fails the test with ajv's own messages when the receipt does not validate. */
export function expectValidKantara(receipt: unknown): void {
  const ok = validateKantara(receipt);
  expect(ok ? [] : ajv.errorsText(validateKantara.errors, { separator: '\n' }).split('\n')).toEqual([]);
}
