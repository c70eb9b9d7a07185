/** A hold was asked for on a call the evidence does not know: nothing was written. */
export class UnknownHoldTargetError extends Error {
  override readonly name = 'UnknownHoldTargetError';
  constructor(readonly callId: string) {
    super(`no call ${callId} in the evidence: a hold needs a call that exists`);
  }
}
