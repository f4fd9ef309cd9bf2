/**
 * Clinician review of AI findings: every finding is accepted, modified (with the reviewer's value) or rejected
 * (with a reason) before a report is signed; signing makes the reviewed result final. Reviews are appended,
 * never changed: the latest decision on a finding counts, the earlier ones stay as history, and the audit log
 * records each request. The AI's own value is kept unchanged on the finding.
 */
import type { Finding, FindingStatus, FindingValue } from './finding.ts';

/** A reviewer's decision on one finding. */
export type ReviewDecision = 'accept' | 'modify' | 'reject';

/**
 * Why an AI finding was rejected, as a code that governance can count per analyzer (free text beside it says
 * more; `other` needs the text).
 */
export const rejectReasonCodes = {
  'false-positive': 'Not present (false positive)',
  'wrong-eye': 'Wrong eye',
  'wrong-location': 'Present, but not where marked',
  'wrong-type': 'A different finding',
  'image-quality': 'Image not good enough to say',
  duplicate: 'Duplicate of another finding',
  other: 'Other',
} as const;

/** A coded reason of a rejection. */
export type RejectReasonCode = keyof typeof rejectReasonCodes;

/** One review of one finding. */
export interface FindingReview {
  readonly id: string;
  readonly findingId: string;
  readonly analysisId: string;
  readonly studyInstanceUid: string;
  readonly decision: ReviewDecision;
  /** The reviewer's value (modify only); the same kind and concept as the AI's value. */
  readonly value?: FindingValue;
  /** Why, in words (every rejection has them: the reviewer's, or the code's meaning when none were written). */
  readonly reason?: string;
  /** Why, as a code (reject only). */
  readonly reasonCode?: RejectReasonCode;
  /** The signed-in user's name. */
  readonly reviewer: string;
  readonly reviewedAt: Date;
}

/** A report signed by a clinician: the study's reviewed results become final. */
export interface ReportSignOff {
  readonly id: string;
  readonly studyInstanceUid: string;
  /** 1 for the first final version, then 2, 3 … for corrections. */
  readonly revision: number;
  /** The report text as signed. */
  readonly text: string;
  readonly signer: string;
  /** The signer's display name (as the verifying observer). */
  readonly signerName: string;
  readonly signedAt: Date;
  /** The analyses the report covers. */
  readonly analysisIds: readonly string[];
}

/** Where reviews and sign-offs are kept. */
export interface ReviewStore {
  /**
   * Appends a review and sets the finding's status (accepted, modified, rejected).
   * @returns false when the finding does not exist.
   */
  recordReview(review: FindingReview): Promise<boolean>;
  /** Every review of a study's findings, oldest first. */
  listReviews(studyInstanceUid: string): Promise<FindingReview[]>;
  /**
   * Records a sign-off whose revision is one more than the study's last.
   * @returns false when another sign-off took that revision first.
   */
  recordSignOff(signOff: ReportSignOff): Promise<boolean>;
  /** The study's sign-offs, oldest first. */
  listSignOffs(studyInstanceUid: string): Promise<ReportSignOff[]>;
}

const statusOf: Readonly<Record<ReviewDecision, FindingStatus>> = {
  accept: 'accepted',
  modify: 'modified',
  reject: 'rejected',
};

/** The finding status a decision gives. */
export function reviewedStatus(decision: ReviewDecision): FindingStatus {
  return statusOf[decision];
}

/** The latest review of each finding. */
export function latestReviews(reviews: readonly FindingReview[]): Map<string, FindingReview> {
  const latest = new Map<string, FindingReview>();
  for (const review of reviews) {
    const previous = latest.get(review.findingId);
    if (previous === undefined || previous.reviewedAt.getTime() <= review.reviewedAt.getTime()) {
      latest.set(review.findingId, review);
    }
  }
  return latest;
}

/**
 * A finding as reviewed: its status from the latest review, and for a modification the reviewer's value.
 * Findings without a review are returned unchanged (preliminary).
 */
export function applyReview(finding: Finding, review: FindingReview | undefined): Finding {
  if (review === undefined) {
    return finding;
  }
  return {
    ...finding,
    status: reviewedStatus(review.decision),
    ...(review.decision === 'modify' && review.value !== undefined ? { value: review.value } : {}),
  };
}

/**
 * Checks that a modified value can replace the AI's: the same kind, the same concept (and unit for a
 * measurement; for a region the same image). Returns the problem, or undefined when it fits.
 */
export function modificationProblem(original: FindingValue, modified: FindingValue): string | undefined {
  if (original.kind !== modified.kind) {
    return `a ${original.kind} finding can only be modified to another ${original.kind}`;
  }
  if (original.kind === 'quality' || modified.kind === 'quality') {
    return undefined;
  }
  if (
    original.concept.value !== modified.concept.value ||
    original.concept.scheme !== modified.concept.scheme
  ) {
    return "the modified value must keep the finding's concept";
  }
  if (original.kind === 'measurement' && modified.kind === 'measurement') {
    if (original.unit.value !== modified.unit.value) {
      return 'the modified measurement must keep the unit';
    }
    if (!Number.isFinite(modified.value)) {
      return 'the modified measurement must be a finite number';
    }
  }
  if (
    original.kind === 'region' &&
    modified.kind === 'region' &&
    original.sopInstanceUid !== modified.sopInstanceUid
  ) {
    return 'the modified region must stay on the same image';
  }
  return undefined;
}
