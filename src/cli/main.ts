#!/usr/bin/env node
import type { CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { dispatch } from './dispatch.js';
import { safeWriter } from './stdio.js';

const stdout = safeWriter(process.stdout);
const stderr = safeWriter(process.stderr);

const io: CliIo = {
  out: (line) => stdout.write(`${line}\n`),
  err: (line) => stderr.write(`${line}\n`),
  env: process.env,
  now: () => Date.now(),
  progressStream: { isTTY: process.stderr.isTTY === true, write: (chunk: string) => stderr.write(chunk) },
};

process.exitCode = await dispatch(process.argv.slice(2), io, COMMANDS);
