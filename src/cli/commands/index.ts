import type { Command } from '../command.js';
import { checkConfig } from './check-config.js';
import { evidence } from './evidence.js';
import { ledgerVerify } from './ledger-verify.js';
import { promptsInstall } from './prompts-install.js';

/** Every `consentline` command: add a module in this folder and list it here. */
export const COMMANDS: readonly Command[] = [checkConfig, ledgerVerify, evidence, promptsInstall];
