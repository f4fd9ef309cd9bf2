/**
 * A study: the patient and study header with the triage (each AI reason with the clinician's decision on the
 * finding behind it), the worklist claim bar (claim, release; review controls disabled while another reader holds
 * the study), both eyes' colour fundus photographs side by side
 * (right eye on the left, as the clinician faces the patient) with zoom, pan and the AI's lesion marks (a
 * toggle), OCT B-scans with a slider, layer lines, fluid, the SLO with the B-scan positions and the ETDRS map (one
 * eye per row), the AI panel with the review of each finding (the reviews come from
 * `GET /api/studies/{uid}/report`), and links to the report and the study's audit trail.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  ApiError,
  fetchFindings,
  fetchReport,
  fetchStudy,
  type FindingView,
  type InstanceView,
  type ReportView,
  type ReviewView,
  type SignOffView,
  type StudyDetailView,
} from '../api.ts';
import { AiPanel } from '../components/ai-panel.tsx';
import type { Reviewed } from '../components/review-actions.tsx';
import { StudyLinks } from '../components/study-links.tsx';
import { BucketBadge } from '../components/bucket-badge.tsx';
import { FundusViewer } from '../components/fundus-viewer.tsx';
import { LesionLegend } from '../components/lesion-legend.tsx';
import { OctViewer } from '../components/oct-viewer.tsx';
import { ClaimBar } from '../components/claim-bar.tsx';
import { TriageReasons } from '../components/triage-reasons.tsx';
import { ClaimContext, useStudyClaim } from '../claim-context.tsx';
import { PriorVisitPanel } from '../components/prior-visit.tsx';
import { VisualFieldSection } from '../components/vf-section.tsx';
import { eyeNames, eyesRightFirst } from '../eyes.ts';
import { regionMarks, type RegionMark } from '../findings.ts';
import { chosenPhotograph, photographSopClass } from '../photographs.ts';
import { latestReviewOf } from '../reviews.ts';
import { navigate } from '../router.ts';

/** SOP Class UID of Ophthalmic Tomography Image Storage. */
const tomographySopClass = '1.2.840.10008.5.1.4.1.1.77.1.5.4';
/** SOP Class UID of Ophthalmic Visual Field Static Perimetry Measurements Storage. */
const visualFieldSopClass = '1.2.840.10008.5.1.4.1.1.80.1';

function EyePhotographs({
  photographs,
  marks,
  showMarks,
  eyeName,
  studyInstanceUid,
  showHeatmap,
}: {
  readonly photographs: readonly InstanceView[];
  readonly marks: readonly RegionMark[];
  readonly showMarks: boolean;
  readonly eyeName: string;
  readonly studyInstanceUid: string;
  readonly showHeatmap: boolean;
}) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const shown =
    photographs.find((photo) => photo.sopInstanceUid === selected) ?? chosenPhotograph(photographs, marks);
  if (shown === undefined) {
    return <p className="no-image">{eyeName}: no colour fundus photograph</p>;
  }
  return (
    <div className="eye-column">
      <FundusViewer
        key={shown.sopInstanceUid}
        instance={shown}
        marks={marks}
        showMarks={showMarks}
        eyeName={eyeName}
        studyInstanceUid={studyInstanceUid}
        showHeatmap={showHeatmap}
      />
      {photographs.length > 1 ? (
        <div className="photo-picker">
          {photographs.map((photo, index) => (
            <button
              type="button"
              key={photo.sopInstanceUid}
              aria-pressed={photo.sopInstanceUid === shown.sopInstanceUid}
              onClick={() => {
                setSelected(photo.sopInstanceUid);
              }}
            >
              Photo {index + 1}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function formatDate(value: string | undefined): string {
  return value !== undefined && /^\d{8}$/u.test(value)
    ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`
    : (value ?? '—');
}

function StudyHeader({
  detail,
  findings,
  latest,
}: {
  readonly detail: StudyDetailView;
  readonly findings: readonly FindingView[];
  readonly latest: ReadonlyMap<string, ReviewView>;
}) {
  const study = detail.study;
  return (
    <header className="study-header" data-testid="study-header">
      <div>
        <h1>{study.patientName?.replaceAll('^', ' ').trim() ?? 'Unnamed patient'}</h1>
        <dl>
          <dt>Patient ID</dt>
          <dd>{study.patientId ?? '—'}</dd>
          <dt>Born</dt>
          <dd>{formatDate(study.patientBirthDate)}</dd>
          <dt>Sex</dt>
          <dd>{study.patientSex ?? '—'}</dd>
          <dt>Study date</dt>
          <dd>{formatDate(study.studyDate)}</dd>
          <dt>Accession</dt>
          <dd>{study.accessionNumber ?? '—'}</dd>
          <dt>Modalities</dt>
          <dd>{study.modalities.join(', ')}</dd>
        </dl>
      </div>
      {detail.triage === null ? null : (
        <div className="study-triage">
          <BucketBadge bucket={detail.triage.bucket} />
          <TriageReasons reasons={detail.triage.reasons} findings={findings} latest={latest} />
        </div>
      )}
    </header>
  );
}

/** The study page. */
export function StudyPage({
  studyInstanceUid,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const [detail, setDetail] = useState<StudyDetailView | undefined>(undefined);
  const [findings, setFindings] = useState<FindingView[]>([]);
  const [reviews, setReviews] = useState<ReviewView[]>([]);
  const [signed, setSigned] = useState<SignOffView | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [showMarks, setShowMarks] = useState(true);
  const [showHeatmap, setShowHeatmap] = useState(false);
  const claim = useStudyClaim(studyInstanceUid, onUnauthorized);

  useEffect(() => {
    let current = true;
    // Reviews are for graders and ophthalmologists; a reader without the role sees the findings unreviewed.
    const loadReport = fetchReport(studyInstanceUid).then(
      (report): ReportView | undefined => report,
      (failure: unknown) => {
        if (failure instanceof ApiError && failure.status === 403) {
          return undefined;
        }
        throw failure;
      },
    );
    Promise.all([fetchStudy(studyInstanceUid), fetchFindings(studyInstanceUid), loadReport]).then(
      ([loadedDetail, loadedFindings, loadedReport]) => {
        if (current) {
          setDetail(loadedDetail);
          setFindings(loadedFindings);
          setReviews([...(loadedReport?.reviews ?? [])]);
          setSigned(loadedReport?.signOffs.at(-1));
        }
      },
      (failure: unknown) => {
        if (current && !onUnauthorized(failure)) {
          setError('The study could not be loaded.');
        }
      },
    );
    return () => {
      current = false;
    };
  }, [studyInstanceUid, onUnauthorized]);

  const latest = useMemo(() => latestReviewOf(reviews), [reviews]);
  const onReviewed = useCallback((reviewed: Reviewed) => {
    // The panel keeps showing the AI's own value; the review (and the reviewer's value) is shown beside it.
    setFindings((previous) =>
      previous.map((finding) =>
        finding.id === reviewed.finding.id ? { ...finding, status: reviewed.finding.status } : finding,
      ),
    );
    setReviews((previous) => [...previous, reviewed.review]);
  }, []);

  const back = (
    <a
      href="/"
      className="back"
      onClick={(event) => {
        event.preventDefault();
        navigate('/');
      }}
    >
      ← Worklist
    </a>
  );
  if (error !== undefined) {
    return (
      <main className="study-page">
        {back}
        <p className="error" role="alert">
          {error}
        </p>
      </main>
    );
  }
  if (detail === undefined) {
    return (
      <main className="study-page">
        {back}
        <p>Loading…</p>
      </main>
    );
  }
  // A lesion finding the clinician rejected is no longer drawn as an AI mark (the panel still lists it).
  const marks = regionMarks(findings.filter((finding) => finding.status !== 'rejected'));
  const ofEye = (eye: 'R' | 'L', sopClass: string): InstanceView[] =>
    detail.instancesByEye[eye].filter((instance) => instance.sopClassUid === sopClass);
  const hasPhotographs = eyesRightFirst.some((eye) => ofEye(eye, photographSopClass).length > 0);
  const hasOct = eyesRightFirst.some((eye) => ofEye(eye, tomographySopClass).length > 0);
  const hasFields = eyesRightFirst.some((eye) => ofEye(eye, visualFieldSopClass).length > 0);

  return (
    <main className="study-page" data-testid="study-page" data-study-uid={studyInstanceUid}>
      {back}
      <StudyLinks studyInstanceUid={studyInstanceUid} current="study" />
      <StudyHeader detail={detail} findings={findings} latest={latest} />
      <ClaimBar claim={claim} />
      {signed === undefined ? null : (
        <p className="study-signed" data-testid="study-signed" data-revision={signed.revision}>
          Report signed (revision {signed.revision}) by {signed.signerName},{' '}
          {new Date(signed.signedAt).toLocaleString()}. A changed review needs a corrected revision: sign
          again on the Report tab.
        </p>
      )}
      <PriorVisitPanel studyInstanceUid={studyInstanceUid} onUnauthorized={onUnauthorized} />
      <div className="study-body">
        <div className="viewers">
          {hasPhotographs ? (
            <section className="fundus-section" aria-label="Colour fundus photographs">
              <div className="section-bar">
                <h2>Colour fundus photographs</h2>
                <label className="toggle">
                  <input
                    type="checkbox"
                    data-testid="marks-toggle"
                    checked={showMarks}
                    onChange={(event) => {
                      setShowMarks(event.currentTarget.checked);
                    }}
                  />
                  Show AI lesion marks ({marks.length === 0 ? 'none' : 'AI-generated — verify'})
                </label>
                <label className="toggle">
                  <input
                    type="checkbox"
                    data-testid="heatmap-toggle"
                    checked={showHeatmap}
                    disabled={marks.length === 0}
                    onChange={(event) => {
                      setShowHeatmap(event.currentTarget.checked);
                    }}
                  />
                  Show AI lesion heatmap ({marks.length === 0 ? 'none' : 'AI-generated — verify'})
                </label>
              </div>
              {showMarks ? <LesionLegend marks={marks} /> : null}
              {showHeatmap && marks.length > 0 ? (
                <p className="heatmap-legend" data-testid="heatmap-legend">
                  AI lesion heatmap (AI-generated — verify): likelihood of a lesion from the AI&apos;s
                  detections, blue low, yellow and white high; uncoloured where none was found.
                </p>
              ) : null}
              <div className="eyes">
                {eyesRightFirst.map((eye) => (
                  <EyePhotographs
                    key={eye}
                    photographs={ofEye(eye, photographSopClass)}
                    marks={marks.filter((mark) => mark.eye === eye)}
                    showMarks={showMarks}
                    eyeName={eyeNames[eye]}
                    studyInstanceUid={studyInstanceUid}
                    showHeatmap={showHeatmap}
                  />
                ))}
              </div>
            </section>
          ) : null}
          {hasOct ? (
            <section className="oct-section" aria-label="OCT">
              <h2>OCT B-scans</h2>
              <div className="oct-eyes">
                {eyesRightFirst.map((eye) => {
                  const name = eyeNames[eye];
                  const volumes = ofEye(eye, tomographySopClass);
                  return volumes.length === 0 ? (
                    <p key={eye} className="no-image">
                      {name}: no OCT
                    </p>
                  ) : (
                    <div key={eye} className="eye-column">
                      {volumes.map((volume) => (
                        <OctViewer
                          key={volume.sopInstanceUid}
                          studyInstanceUid={studyInstanceUid}
                          instance={volume}
                          eyeName={name}
                          findings={findings}
                        />
                      ))}
                    </div>
                  );
                })}
              </div>
            </section>
          ) : null}
          {hasFields ? (
            <VisualFieldSection studyInstanceUid={studyInstanceUid} onUnauthorized={onUnauthorized} />
          ) : null}
          {!hasPhotographs && !hasOct && !hasFields ? <p>No images this station can show yet.</p> : null}
        </div>
        <ClaimContext.Provider value={claim.state}>
          <AiPanel findings={findings} context={{ studyInstanceUid, latest, onReviewed, onUnauthorized }} />
        </ClaimContext.Provider>
      </div>
    </main>
  );
}
