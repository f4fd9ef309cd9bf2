/**
 * The prior visit's colour fundus photographs, per eye, to compare with the current ones: loaded only when the
 * clinician asks (a toggle in the prior-visit panel), shown in the same zoomable viewer without AI marks, each
 * labelled with the visit's date. For the prior's AI results the panel's table and the prior study itself
 * (its link) remain the place.
 */
import { useCallback } from 'react';
import { fetchStudy } from '../api.ts';
import { eyeNames, eyesRightFirst } from '../eyes.ts';
import { photographSopClass } from '../photographs.ts';
import { useLoaded } from '../use-loaded.ts';
import { FundusViewer } from './fundus-viewer.tsx';

/** The prior study's photographs of both eyes (right eye on the left, as on the current study). */
export function PriorPhotographs({
  studyInstanceUid,
  visitDate,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  /** The prior visit's date as shown (YYYY-MM-DD). */
  readonly visitDate: string;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const { value: detail, error } = useLoaded(
    useCallback(() => fetchStudy(studyInstanceUid), [studyInstanceUid]),
    onUnauthorized,
  );
  if (error !== undefined) {
    return <p className="no-image">The prior visit's photographs could not be loaded.</p>;
  }
  if (detail === undefined) {
    return <p>Loading the prior visit's photographs…</p>;
  }
  return (
    <div className="eyes prior-photographs" data-testid="prior-photographs">
      {eyesRightFirst.map((eye) => {
        // The prior's AI marks are not drawn, so its first photograph of the eye is the one shown.
        const shown = detail.instancesByEye[eye].find(
          (instance) => instance.sopClassUid === photographSopClass,
        );
        const label = `${eyeNames[eye]}, prior visit ${visitDate}`;
        return shown === undefined ? (
          <p key={eye} className="no-image">
            {label}: no colour fundus photograph
          </p>
        ) : (
          <div key={eye} className="eye-column">
            <FundusViewer instance={shown} marks={[]} showMarks={false} eyeName={label} />
          </div>
        );
      })}
    </div>
  );
}
