/**
 * Reading a study's reviews: the latest decision per finding counts (reviews are appended, never changed; the
 * earlier ones stay as history), as in the gateway's `core/review.ts`.
 */
import type { ReviewView } from './api.ts';

/** The latest review of each finding, by finding id. */
export function latestReviewOf(reviews: readonly ReviewView[]): Map<string, ReviewView> {
  const latest = new Map<string, ReviewView>();
  for (const review of reviews) {
    const previous = latest.get(review.findingId);
    if (previous === undefined || Date.parse(previous.reviewedAt) <= Date.parse(review.reviewedAt)) {
      latest.set(review.findingId, review);
    }
  }
  return latest;
}
