import { DEFAULTS } from './defaults.js';

/**
 * The configuration used when no file exists: one bilingual flow, consent by conduct,
 * routing to the sample dialplan in asterisk/extensions.conf.
 */
export const BUILTIN_CONFIG = {
  controller: { name: 'Example Controller Sp. z o.o.', jurisdiction: 'PL' },
  routes: {
    agents: { context: DEFAULTS.afterContext, extension: 'agents', priority: 1 },
    fallback: { context: DEFAULTS.fallbackContext, extension: 's', priority: 1 },
  },
  flows: [
    {
      id: 'hotline',
      default: true,
      legalBasis: 'consent_by_conduct',
      languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } },
      menu: {
        '1': { action: 'route', route: 'agents' },
        '8': { action: 'clause' },
        '9': { action: 'objection' },
        '0': { action: 'repeat' },
      },
      defaultRoute: 'agents',
      fallbackRoute: 'fallback',
    },
  ],
} as const;
