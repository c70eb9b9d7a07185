import { describe, expect, it } from 'vitest';
import type { ApiAnswer } from '../../../src/console/api-client.js';
import { ConsoleApiError } from '../../../src/console/api-client.js';
import { noticeKey, refusalText, unexpected } from '../../../src/console/pages/dpo-forms.js';
import { translator } from '../../../src/console/i18n.js';
import '../../../src/console/pages/dpo.js';

const answer = (status: number, body: unknown): ApiAnswer<unknown> => ({ status, body, headers: {}, raw: JSON.stringify(body) });
const en = translator('en');
const pl = translator('pl');

describe('refusalText', () => {
  it('says a wrong number in words, in the page language, without repeating it', () => {
    const r = answer(400, { error: 'bad_request', message: 'invalid body.callerNumber', issues: [{ field: 'body.callerNumber', message: 'is not a phone number' }] });
    expect(refusalText(en, r, 'subjects')).toBe('That is not a phone number.');
    expect(refusalText(pl, r, 'subjects')).toBe('To nie jest numer telefonu.');
  });

  it("passes other validation errors on by field, and else the API's message", () => {
    const r = answer(400, { error: 'bad_request', message: 'invalid body.reason', issues: [{ field: 'body.reason', message: 'Too small' }] });
    expect(refusalText(en, r, 'holds')).toBe('The service refused the form: reason: Too small');
    expect(refusalText(en, answer(409, { error: 'x', message: 'busy now' }), 'subjects')).toBe('The service refused the form: busy now');
    expect(refusalText(en, answer(418, undefined), 'subjects')).toBe('The service refused the form: HTTP 418');
  });
});

describe('noticeKey', () => {
  it('turns only the listed codes into message keys', () => {
    expect(noticeKey({ m: 'set' }, 'holds', ['set', 'released'])).toBe('holds.m.set');
    expect(noticeKey({ m: '<script>' }, 'holds', ['set'])).toBeUndefined();
    expect(noticeKey({ m: ['set'] }, 'holds', ['set'])).toBeUndefined();
    expect(noticeKey(undefined, 'holds', ['set'])).toBeUndefined();
  });
});

describe('unexpected', () => {
  it("throws the API's error for the console's error page", () => {
    expect(() => unexpected(answer(503, { error: 'unavailable', message: 'store down' }))).toThrow(ConsoleApiError);
    try {
      unexpected(answer(500, undefined));
    } catch (e) {
      expect(e).toMatchObject({ status: 500, code: 'error', message: 'HTTP 500' });
    }
  });
});
