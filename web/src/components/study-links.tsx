/**
 * The tabs of one study: its images and AI findings, its report (draft and sign-off) and its audit trail.
 */
import { navigate } from '../router.ts';

const pages = [
  { page: 'study', label: 'Images and AI findings', suffix: '' },
  { page: 'report', label: 'Report', suffix: '/report' },
  { page: 'audit', label: 'Audit trail', suffix: '/audit' },
] as const;

/** Links between a study's pages; the current one is marked. */
export function StudyLinks({
  studyInstanceUid,
  current,
}: {
  readonly studyInstanceUid: string;
  readonly current: (typeof pages)[number]['page'];
}) {
  return (
    <nav className="study-links" aria-label="Study pages">
      {pages.map(({ page, label, suffix }) => {
        const href = `/studies/${studyInstanceUid}${suffix}`;
        return (
          <a
            key={page}
            href={href}
            data-testid={`study-link-${page}`}
            aria-current={page === current ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate(href);
            }}
          >
            {label}
          </a>
        );
      })}
    </nav>
  );
}
