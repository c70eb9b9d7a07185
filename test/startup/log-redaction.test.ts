import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/log.js';

describe('log redaction', () => {
  it('censors secrets and caller numbers at the top level and one level down', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info' }, new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }));
    log.info(
      {
        password: 'pw-1',
        secret: 'sec-2',
        pepper: 'pep-3',
        token: 'clt_tok-4',
        callerNumber: '+48600100200',
        ari: { password: 'pw-5' },
        subject: { e164: '+48600100201' },
        req: { headers: { authorization: 'Bearer clt_tok-6' } },
        masked: '+48 *** *** *00',
      },
      'hello',
    );
    const text = lines.join('');
    for (const leaked of ['pw-1', 'sec-2', 'pep-3', 'tok-4', '600100200', 'pw-5', '600100201', 'tok-6']) expect(text).not.toContain(leaked);
    expect(JSON.parse(text)).toMatchObject({ password: '[redacted]', masked: '+48 *** *** *00', ari: { password: '[redacted]' } });
  });
});
