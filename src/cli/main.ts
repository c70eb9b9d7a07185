#!/usr/bin/env node
import type { CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { dispatch } from './dispatch.js';

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  now: () => Date.now(),
};

process.exitCode = await dispatch(process.argv.slice(2), io, COMMANDS);
