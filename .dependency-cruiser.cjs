/**
 * Architecture rules checked by `npm run lint:arch` (CI: .ci/run). docs/architecture.md, "Rules CI checks".
 *
 * Layers, lowest first; a module may import its own layer or lower ones, never a higher one:
 *   0 shared · 1 config, db · 2 evidence, prompts · 3 telephony, recordings, retention, assurance, joiners (services)
 *   · 4 api, cli, console · 5 the composition root (COMPOSITION_ROOT below), which may import anything.
 */
const LAYERS = [
  ['src/shared/'],
  ['src/config/', 'src/db/'],
  ['src/evidence/', 'src/prompts/'],
  ['src/telephony/', 'src/recordings/', 'src/retention/', 'src/assurance/', 'src/joiners/'],
  ['src/api/', 'src/cli/', 'src/console/'],
];

/** The files that wire everything: they pick the engines and build the services. */
const COMPOSITION_ROOT = [
  '^src/server\\.ts$',
  '^src/main[^/]*\\.ts$',
  '^src/service-metrics\\.ts$',
  // Opens every table of the service on the engine database.url names (stores of evidence, recordings, retention, tokens).
  '^src/db/service-database\\.ts$',
  // The one choice of engine (engine.ts) and the stores each engine builds (engine-sqlite/-pg, engine-port).
  '^src/db/engine[^/]*\\.ts$',
];

/** The engine choice, which the CLI's commands (entry points that wire their own stores) may import too. */
const ENGINE_CHOICE = '^src/db/engine\\.ts$';

/** Pure domain code: decisions and data, no I/O. */
const DOMAIN = [
  '^src/telephony/flow/',
  '^src/evidence/(chain|merkle|receipt|subject|types)\\.ts$',
  '^src/retention/policy\\.ts$',
  '^src/assurance/findings\\.ts$',
  '^src/config/cross-checks\\.ts$',
];

/** Node and npm modules that do I/O (files, sockets, processes, databases, telephony, object stores, HTTP). */
const IO_MODULES = [
  '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|tls|dns|child_process|cluster|worker_threads|readline)$',
  '^(pg|pg-pool|better-sqlite3|ari-client|asterisk-manager|ws|fastify|@fastify/.*|@aws-sdk/.*|@aws-crypto/.*|piscina|pino|prom-client|croner)$',
];

/** Adapters: code that talks to a database, a PBX, an object store, a socket or a user. */
const ADAPTERS = [
  '^src/db/',
  '^src/api/',
  '^src/cli/',
  '^src/console/',
  '^src/telephony/ari/',
  '^src/recordings/(ami|ari-fetch|storage)/',
  '^src/.+/[^/]*(sqlite|pg|s3)[^/]*\\.ts$',
  '^src/.+/(repo|open-store|open-read-side)[^/]*\\.ts$',
];

const esc = (prefix) => `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
const upward = LAYERS.slice(0, -1).map((lower, i) => ({
  name: `layer-${i}-imports-higher`,
  comment: `${lower.join(', ')} may import only from its own layer or lower ones`,
  severity: 'error',
  from: { path: lower.map(esc), pathNot: COMPOSITION_ROOT },
  to: { path: [...LAYERS.slice(i + 1).flat().map(esc), ...COMPOSITION_ROOT] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make the order of loading and the direction of knowledge unclear.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'composition-root-imported',
      comment: 'Only the composition root imports the composition root.',
      severity: 'error',
      from: { path: '^src/', pathNot: [...COMPOSITION_ROOT, '^src/cli/'] },
      to: { path: COMPOSITION_ROOT },
    },
    {
      name: 'cli-imports-only-engine-choice',
      comment: 'The CLI may take its stores from the engine choice, and from no other part of the composition root.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: COMPOSITION_ROOT, pathNot: ENGINE_CHOICE },
    },
    {
      name: 'domain-no-io',
      comment: 'Pure domain code imports no module that does I/O.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: IO_MODULES },
    },
    {
      name: 'domain-no-adapter',
      comment: 'Pure domain code imports no adapter.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: ADAPTERS },
    },
    {
      name: 'src-imports-no-tooling',
      comment: 'The service does not import tests, benches or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
