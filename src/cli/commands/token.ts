import { parseArgs } from 'node:util';
import { ROLES, type Role, type TokenStore } from '../../api/tokens.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, withTokenStore } from '../open-store.js';

const withTokens = <T>(values: { db?: string | undefined }, io: CliIo, fn: (tokens: TokenStore) => Promise<T>): Promise<T> =>
  withTokenStore(values, io.env, fn);

export const tokenCreate: Command = {
  name: 'token create',
  summary: 'create an API token (printed once; only its SHA-256 is stored)',
  usage: 'consentline token create --role auditor|dpo|admin|dialer|agent-desktop --name <name> [--subject <person>] [--db path]   (--subject required for dpo and admin)',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, role: { type: 'string' }, name: { type: 'string' }, subject: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const role = values.role;
    if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const name = values.name?.trim();
    if (!name || name.length > 100 || /[\p{Cc}\p{Cs}]/u.test(name)) throw new UsageError('--name must be 1-100 printable characters');
    const subject = values.subject?.trim();
    // Four eyes (a hold's release) means two persons: the tokens that may take part say whose they are.
    if (subject === undefined && role !== 'auditor') throw new UsageError(`--subject <person> is required for a ${role} token: four eyes compare persons, not tokens`);
    if (subject !== undefined && (!subject || subject.length > 100 || /[\p{Cc}\p{Cs}]/u.test(subject))) throw new UsageError('--subject must be 1-100 printable characters');
    const { info, token } = await withTokens(values, io, (t) => t.create(name, role as Role, subject ?? name));
    io.out(token);
    io.err(`token ${info.id} (${info.role}, "${info.name}", issued to ${info.subject}) created; it is shown only this once`);
    return EXIT.ok;
  },
};

export const tokenList: Command = {
  name: 'token list',
  summary: 'list API tokens (id, role, name, subject, created, revoked); never the tokens',
  usage: 'consentline token list [--db path]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...DB_OPTION }, allowPositionals: true, strict: true });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const list = await withTokens(values, io, (t) => t.list());
    io.out(`${'id'.padEnd(36)}  ${'role'.padEnd(7)}  ${'created'.padEnd(24)}  ${'revoked'.padEnd(24)}  name (subject)`);
    for (const t of list) {
      io.out(`${t.id.padEnd(36)}  ${t.role.padEnd(7)}  ${t.createdAt.padEnd(24)}  ${(t.revokedAt ?? '-').padEnd(24)}  ${t.name} (${t.subject})`);
    }
    io.out(`${list.length} token(s), ${list.filter((t) => !t.revokedAt).length} live`);
    return EXIT.ok;
  },
};

export const tokenRevoke: Command = {
  name: 'token revoke',
  summary: 'revoke an API token by id; exit 1 when no live token has that id',
  usage: 'consentline token revoke <id> [--db path]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...DB_OPTION }, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length) throw new UsageError('expected exactly one token id');
    const done = await withTokens(values, io, (t) => t.revoke(id));
    if (!done) {
      io.err(`no live token ${id}`);
      return EXIT.failed;
    }
    io.out(`token ${id} revoked`);
    return EXIT.ok;
  },
};
