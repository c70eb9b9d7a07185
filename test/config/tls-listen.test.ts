import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { GOOD, configFiles } from './config-files.js';

const file = configFiles('cl-config-tls-');

describe('config: ari.tls, ari.listen, recordings.ami.tls', () => {
  it('accepts TLS blocks and the listen mode with their defaults', () => {
    const r = loadConfig({
      path: file(`${GOOD}
recordings: { enabled: true, ami: { port: 5039, tls: { ca: /etc/consentline/asterisk-ca.pem } } }
ari:
  url: "https://pbx.example:8089"
  tls: { ca: /etc/consentline/asterisk-ca.pem }
  listen: { port: 8765 }
`),
      env: {},
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(r.config.ari.tls).toEqual({ ca: '/etc/consentline/asterisk-ca.pem', rejectUnauthorized: true });
    expect(r.config.ari.listen).toEqual({ host: '0.0.0.0', port: 8765, path: '/ari/consentline' });
    expect(r.config.recordings.ami.tls).toEqual({ ca: '/etc/consentline/asterisk-ca.pem', rejectUnauthorized: true });
  });

  it('refuses listen mode with several servers or with recordings fetched over ARI, and a bad path', () => {
    const r = loadConfig({
      path: file(`${GOOD}
recordings: { enabled: true, source: ari }
ari:
  listen: { path: "no-slash" }
`),
      env: {},
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toMatch(/ari\.listen\.path: must be a URL path/);
    const combined = loadConfig({
      path: file(`${GOOD}
recordings: { enabled: true, source: ari }
ari:
  listen: { port: 8765 }
  servers: [{ name: a, url: "http://10.0.0.5:8088" }]
`),
      env: {},
    });
    expect(combined.ok).toBe(false);
    if (!combined.ok) {
      const text = combined.problems.join('\n');
      expect(text).toMatch(/ari\.listen: .*serves one Asterisk/);
      expect(text).toMatch(/recordings\.source: .*use source "spool"/);
    }
  });
});
