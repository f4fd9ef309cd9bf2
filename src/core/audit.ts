/**
 * Audit events: an append-only, hash-chained record of who did what to which object, when and from where —
 * every view of patient data, every decision, sign-in and administrative action. Each event's hash covers its
 * content and the previous event's hash, and sequence numbers are contiguous, so a changed, inserted or
 * deleted row breaks the chain (`fovea audit verify`). Implemented in `store/` (the chain itself in `audit/`).
 * @see https://hl7.org/fhir/R4/auditevent.html
 */

/** What is recorded about one action. */
export interface AuditEventDraft {
  /** User name, token name or `fovea` for the system itself (never a secret). */
  readonly actor: string;
  readonly actorKind: 'user' | 'token' | 'system';
  /** `view`, `sign-in`, `sign-in-failed`, `sign-out`, `requeue`, later `review.accept` … */
  readonly action: string;
  /** What was acted on: a route template or an object reference (`study:<uid>`). */
  readonly target: string;
  readonly studyInstanceUid?: string;
  readonly outcome: 'success' | 'failure';
  /** The caller's network address. */
  readonly from?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** A recorded audit event. */
export interface AuditEvent extends AuditEventDraft {
  /** 1, 2, 3 … without gaps. */
  readonly seq: number;
  readonly at: Date;
  /** The previous event's hash (64 zeros for the first). */
  readonly prevHash: string;
  /** SHA-256 (hex) of this event's canonical content and `prevHash`. */
  readonly hash: string;
}

/** The outcome of checking the chain. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly events: number;
  /** The first event that does not fit, and why. */
  readonly broken?: { readonly seq: number; readonly reason: string };
}

/** The audit log port. */
export interface AuditLog {
  /** Appends one event (serialised across processes). */
  append(draft: AuditEventDraft): Promise<AuditEvent>;
  /** Events, newest first, optionally of one study. */
  list(query: { readonly studyInstanceUid?: string; readonly limit: number }): Promise<AuditEvent[]>;
  /** Recomputes the whole chain. */
  verify(): Promise<AuditVerification>;
}
