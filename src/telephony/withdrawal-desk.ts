import type { SubjectRecord } from '../evidence/types.js';
import type { ConsentsOnFile, WithdrawableConsent, WithdrawalDesk } from './flow/types.js';

/** The withdrawal service by look-up key (server.ts wires retention's ConsentWithdrawals to it). */
export interface PhoneWithdrawals {
  /** What the number behind `lookupKey` has on file. */
  onFile(lookupKey: string): Promise<ConsentsOnFile>;
  /** Appends `consent.withdrawn` to call `callId` (whose subject names the caller) and applies it. */
  withdraw(w: { readonly callId: string; readonly lookupKey: string; readonly consent: WithdrawableConsent; readonly digit: string }): Promise<void>;
}

/**
 * The flow's {@link WithdrawalDesk} for one call: the caller is the call's subject, so a withheld
 * or unusable number (no subject) has nothing on file that could be told or withdrawn. Every
 * write waits for `call.started` (`ready`), which put the subject in place the registry reads.
 */
export function withdrawalDesk(port: PhoneWithdrawals | undefined, callId: string, subject: SubjectRecord | null, ready: () => Promise<void>): WithdrawalDesk {
  const service = () => {
    if (!port) throw new Error('withdrawal_unavailable');
    return port;
  };
  return {
    async onFile() {
      if (subject === null) return null;
      return service().onFile(subject.lookupKey);
    },
    async withdraw(consent, digit) {
      if (subject === null) throw new Error('withdrawal_without_caller');
      await ready();
      await service().withdraw({ callId, lookupKey: subject.lookupKey, consent, digit });
    },
  };
}
