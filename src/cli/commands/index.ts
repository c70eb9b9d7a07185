import type { Command } from '../command.js';
import { bundleVerify } from './bundle-verify.js';
import { callsCheckOutcomes } from './calls-check-outcomes.js';
import { checkConfig } from './check-config.js';
import { checkpointCreate } from './checkpoint.js';
import { evidence } from './evidence.js';
import { receipt } from './receipt.js';
import { ledgerVerify } from './ledger-verify.js';
import { migrateStore } from './migrate-store.js';
import { tokenCreate, tokenList, tokenRevoke } from './token.js';
import { promptsInstall } from './prompts-install.js';
import { recordingDecrypt } from './recording-decrypt.js';
import { recordingList } from './recording-list.js';
import { retentionRun } from './retention.js';
import { holdList, holdRelease, holdSet } from './hold.js';
import { subjectAccess, subjectErase } from './subject.js';
import { marketingLookup, marketingRebuild } from './marketing.js';
import { consentWithdraw } from './consent.js';
import { assurance } from './assurance.js';
import { agentsList, agentsRemove, agentsSet, agentsShow } from './agents.js';

/** Every `consentline` command: add a module in this folder and list it here. */
export const COMMANDS: readonly Command[] = [
  checkConfig,
  ledgerVerify,
  evidence,
  receipt,
  promptsInstall,
  tokenCreate,
  tokenList,
  tokenRevoke,
  bundleVerify,
  checkpointCreate,
  recordingDecrypt,
  recordingList,
  retentionRun,
  holdSet,
  holdList,
  holdRelease,
  subjectErase,
  subjectAccess,
  migrateStore,
  assurance,
  agentsList,
  agentsShow,
  agentsSet,
  agentsRemove,
  callsCheckOutcomes,
  marketingLookup,
  marketingRebuild,
  consentWithdraw,
];
