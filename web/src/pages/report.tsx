/**
 * A study's report (`GET /api/studies/{uid}/report`): the reviewed findings, the draft the gateway
 * pre-populated from them (modified values as the reviewer set them, rejected findings left out), an editable
 * text, and sign-off (`POST /api/studies/{uid}/sign`, ophthalmologists) once every finding is reviewed. Signing
 * makes the results final (revision 1); signing again after a change is an amendment, a corrected revision
 * (2, 3 …) that replaces the previous final version in the PACS. The signed versions are listed, newest first.
 * While another reader holds the study's worklist claim, signing is disabled (the gateway would answer 409
 * `FOVEA_CLAIM_HELD`); signing first claims the study for the signer, as a review decision does.
 */
import { useCallback, useEffect, useState } from 'react';
import { fetchReport, signReport, type ReportView, type Session } from '../api.ts';
import { useStudyClaim } from '../claim-context.tsx';
import { LockIcon } from '../components/claim-badge.tsx';
import { ProblemAlert } from '../components/problem-alert.tsx';
import { StudyLinks } from '../components/study-links.tsx';
import { summaryOf } from '../findings.ts';
import { navigate } from '../router.ts';

const signingRoles = new Set(['ophthalmologist', 'admin']);

function revisionName(revision: number): string {
  return revision === 1 ? 'final' : `corrected (revision ${revision})`;
}

/** The report page. */
export function ReportPage({
  studyInstanceUid,
  session,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly session: Session;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const [report, setReport] = useState<ReportView | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [text, setText] = useState('');
  const [signerName, setSignerName] = useState(session.username);
  const [busy, setBusy] = useState(false);
  const [signError, setSignError] = useState<unknown>(undefined);
  const [justSigned, setJustSigned] = useState<number | undefined>(undefined);
  const claim = useStudyClaim(studyInstanceUid, onUnauthorized);
  const heldBy = claim.state.heldBy;

  const load = useCallback(
    (resetText: boolean) => {
      fetchReport(studyInstanceUid).then(
        (loaded) => {
          setReport(loaded);
          setLoadError(undefined);
          if (resetText) {
            const last = loaded.signOffs.at(-1);
            setText(last?.text ?? loaded.draft);
            if (last?.signer === session.username) {
              setSignerName(last.signerName);
            }
          }
        },
        (failure: unknown) => {
          if (!onUnauthorized(failure)) {
            setLoadError(failure);
          }
        },
      );
    },
    [studyInstanceUid, session.username, onUnauthorized],
  );

  useEffect(() => {
    load(true);
  }, [load]);

  const links = <StudyLinks studyInstanceUid={studyInstanceUid} current="report" />;
  if (report === undefined) {
    return (
      <main className="report-page">
        {links}
        {loadError === undefined ? <p>Loading…</p> : <ProblemAlert error={loadError} />}
      </main>
    );
  }

  const canSign = session.roles.some((role) => signingRoles.has(role));
  const latest = report.signOffs.at(-1);
  const blocked =
    !canSign ||
    heldBy !== undefined ||
    report.unreviewed > 0 ||
    text.trim() === '' ||
    signerName.trim() === '';

  const sign = (): void => {
    setBusy(true);
    setSignError(undefined);
    claim.state
      .ensureClaim()
      .then(() => signReport(studyInstanceUid, text, signerName.trim()))
      .then(
        (signed) => {
          setBusy(false);
          setJustSigned(signed.revision);
          load(false);
        },
        (failure: unknown) => {
          setBusy(false);
          if (!onUnauthorized(failure)) {
            setSignError(failure);
          }
        },
      );
  };

  return (
    <main className="report-page" data-testid="report-page" data-study-uid={studyInstanceUid}>
      {links}
      <h1>Report</h1>
      <div
        className={`report-state ${latest === undefined ? 'report-draft' : 'report-signed'}`}
        data-testid="report-state"
        data-revision={latest?.revision ?? 0}
      >
        {latest === undefined ? (
          'Draft — not signed yet. The results in the PACS are preliminary.'
        ) : (
          <>
            Signed: {revisionName(latest.revision)} by {latest.signerName} ({latest.signer}),{' '}
            {new Date(latest.signedAt).toLocaleString()}.
          </>
        )}
        {justSigned === undefined ? null : (
          <span data-testid="sign-confirmation"> Revision {justSigned} queued for delivery to the PACS.</span>
        )}
      </div>

      <div className="report-body">
        <section className="report-editor" aria-label="Report text">
          <h2>Report text</h2>
          <p className="ai-warning">
            Pre-populated from the reviewed AI findings (AI-generated — verify): check and edit before
            signing.
          </p>
          <textarea
            data-testid="report-text"
            aria-label="Report text"
            rows={14}
            maxLength={20000}
            value={text}
            onChange={(event) => {
              setText(event.currentTarget.value);
            }}
          />
          <div className="report-actions">
            <button
              type="button"
              data-testid="report-reset"
              onClick={() => {
                setText(report.draft);
              }}
            >
              Start again from the current draft
            </button>
            <label>
              Signer name (as the verifying observer)
              <input
                data-testid="signer-name"
                value={signerName}
                maxLength={64}
                onChange={(event) => {
                  setSignerName(event.currentTarget.value);
                }}
              />
            </label>
            <button
              type="button"
              className="primary"
              data-testid="sign-button"
              disabled={busy || blocked}
              onClick={sign}
            >
              {latest === undefined ? 'Sign report' : 'Sign corrected revision'}
            </button>
          </div>
          {canSign ? null : (
            <p className="notice" data-testid="sign-needs-role">
              Signing needs the ophthalmologist role; you are signed in as {session.roles.join(', ')}.
            </p>
          )}
          {heldBy === undefined ? null : (
            <p className="notice" data-testid="sign-locked">
              <LockIcon /> {heldBy} is reading this study: signing is disabled until they release it.
            </p>
          )}
          {report.unreviewed > 0 ? (
            <p className="notice" data-testid="sign-needs-review">
              {report.unreviewed} finding{report.unreviewed === 1 ? ' is' : 's are'} not reviewed yet:{' '}
              <a
                href={`/studies/${studyInstanceUid}`}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(`/studies/${studyInstanceUid}`);
                }}
              >
                review them
              </a>{' '}
              before signing.
            </p>
          ) : null}
          <ProblemAlert error={signError} />
        </section>

        <aside className="report-side">
          <section aria-label="Reviewed findings">
            <h2>Reviewed findings</h2>
            <ul className="report-findings">
              {report.findings.map((finding) => (
                <li key={finding.id} data-testid="report-finding" data-status={finding.status}>
                  <span className={`review-badge review-${finding.status}`}>{finding.status}</span>{' '}
                  {finding.eye}: {summaryOf(finding)} <span className="ai-tag">{finding.label}</span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-label="Signed versions">
            <h2>Signed versions</h2>
            {report.signOffs.length === 0 ? <p>None yet.</p> : null}
            <ul className="sign-offs">
              {[...report.signOffs].reverse().map((signOff) => (
                <li key={signOff.revision} data-testid="sign-off" data-revision={signOff.revision}>
                  <strong>
                    Revision {signOff.revision}: {signOff.revision === 1 ? 'final' : 'corrected'}
                  </strong>{' '}
                  — {signOff.signerName} ({signOff.signer}), {new Date(signOff.signedAt).toLocaleString()}
                  <details>
                    <summary>Text as signed</summary>
                    <pre>{signOff.text}</pre>
                  </details>
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </main>
  );
}
