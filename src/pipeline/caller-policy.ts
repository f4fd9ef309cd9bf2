/**
 * Which DICOM peers may open an association: loopback callers (unless switched off) and the calling AE titles
 * listed in the configuration (optionally pinned to a host). Everyone else is rejected with "calling AE title
 * not recognized".
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.3.4 (A-ASSOCIATE-RJ)
 */
import { isLoopback, normaliseAddress } from './site.ts';

/** The calling-AE part of the DICOM configuration. */
export interface CallerPolicy {
  readonly acceptLoopback: boolean;
  readonly allowedCallers: readonly { readonly aeTitle: string; readonly host?: string }[];
}

/** Whether a caller may associate. */
export function callerAllowed(policy: CallerPolicy, callingAet: string, peerAddress: string): boolean {
  if (policy.acceptLoopback && isLoopback(peerAddress)) {
    return true;
  }
  const address = normaliseAddress(peerAddress);
  return policy.allowedCallers.some(
    (caller) =>
      caller.aeTitle.trim() === callingAet.trim() && (caller.host === undefined || caller.host === address),
  );
}
