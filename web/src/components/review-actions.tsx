/**
 * REVIEW SLOT: where the accept / modify / reject controls of one AI finding go, once the review UI is built
 * against `POST /api/studies/{uid}/findings/{id}/review` (src/api/routes/review.ts). Until then it shows the
 * finding's review status only; the AI panel renders this component once per finding.
 */
import type { FindingView } from '../api.ts';

/** The review controls of one finding (status only for now). */
export function ReviewActions({ finding }: { readonly finding: FindingView }) {
  return (
    <div className="review-actions" data-testid="review-actions" data-finding-id={finding.id}>
      Review status: <strong>{finding.status}</strong>
    </div>
  );
}
