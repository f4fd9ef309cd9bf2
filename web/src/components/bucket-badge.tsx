/**
 * A triage bucket as a coloured badge (colour and text: never colour alone).
 */
import type { Bucket } from '../api.ts';

const labels: Readonly<Record<Bucket, string>> = {
  stat: 'Stat',
  referable: 'Referable',
  recapture: 'Recapture',
  routine: 'Routine',
  'review-and-release': 'Review and release',
};

/** The badge of one bucket. */
export function BucketBadge({ bucket }: { readonly bucket: Bucket }) {
  return (
    <span className={`badge badge-${bucket}`} data-testid="bucket-badge" data-bucket={bucket}>
      {labels[bucket]}
    </span>
  );
}
