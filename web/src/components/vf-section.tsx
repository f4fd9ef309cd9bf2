/**
 * The study page's visual-field section: both eyes side by side (right eye on the left, as the clinician faces
 * the patient), each with the test's date, pattern and reliability, the grey-scale map, the sensitivities, the
 * deviation map with its probability symbols, the perimeter's global indices, Fovea's MD and PSD and the
 * progression analysis of the series (labelled AI-generated, with the analyzer id@version), and the trend plot
 * the gateway draws (`GET /api/studies/{uid}/trend-plot?eye=`). Data: `GET /api/studies/{uid}/visual-fields`.
 */
import { useCallback } from 'react';
import { fetchVisualFields, type VisualFieldEyeView, type VisualFieldTestView } from '../api.ts';
import { eyeNames, eyesRightFirst } from '../eyes.ts';
import { useLoaded } from '../use-loaded.ts';
import { signed } from './vf-geometry.ts';
import { VfGreyLegend, VfGreyscale } from './vf-greyscale.tsx';
import {
  deviationKind,
  foveaDeviations,
  perimeterDeviations,
  VfDeviation,
  VfNumeric,
  VfProbabilityLegend,
} from './vf-numeric.tsx';

const verdicts: Readonly<Record<string, string>> = {
  'insufficient-data': 'Too few tests to assess progression',
  stable: 'No progression detected',
  'possible-progression': 'Possible progression',
  'likely-progression': 'Likely progression',
};

function db(value: number | null, digits = 2): string {
  return value === null ? '—' : `${signed(value, digits)} dB`;
}

function percent(value: number | null): string {
  return value === null ? '—' : `${String(Math.round(value))} %`;
}

function pValue(value: number | null): string {
  return value === null ? '—' : value < 0.001 ? '< 0.001' : value.toFixed(3);
}

function Reliability({ test }: { readonly test: VisualFieldTestView }) {
  const { fixationLosses, fixationChecks, falsePositivesPercent, falseNegativesPercent, durationSeconds } =
    test.reliability;
  return (
    <dl className="vf-facts" data-testid="vf-reliability">
      <dt>Fixation losses</dt>
      <dd>
        {fixationLosses === null ? '—' : String(fixationLosses)}
        {fixationChecks === null ? '' : ` / ${String(fixationChecks)}`}
      </dd>
      <dt>False positives</dt>
      <dd>{percent(falsePositivesPercent)}</dd>
      <dt>False negatives</dt>
      <dd>{percent(falseNegativesPercent)}</dd>
      <dt>Duration</dt>
      <dd>
        {durationSeconds === null
          ? '—'
          : `${String(Math.floor(durationSeconds / 60))}:${String(Math.round(durationSeconds % 60)).padStart(2, '0')}`}
      </dd>
      <dt>Fovea</dt>
      <dd>
        {test.fovealSensitivityDb === null ? '—' : `${String(Math.round(test.fovealSensitivityDb))} dB`}
      </dd>
    </dl>
  );
}

function Indices({ test }: { readonly test: VisualFieldTestView }) {
  return (
    <dl className="vf-facts" data-testid="vf-indices">
      <dt>MD (perimeter)</dt>
      <dd data-testid="vf-device-md">{db(test.device.md)}</dd>
      <dt>PSD (perimeter)</dt>
      <dd>{db(test.device.psd)}</dd>
      {test.device.vfi === null ? null : (
        <>
          <dt>VFI (perimeter)</dt>
          <dd>{percent(test.device.vfi)}</dd>
        </>
      )}
      {test.ai === null ? null : (
        <>
          <dt>
            MD (Fovea) <span className="ai-tag">{test.ai.label}</span>
          </dt>
          <dd data-testid="vf-ai-md" data-analyzer={test.ai.analyzer}>
            {db(test.ai.md)}
          </dd>
          <dt>PSD (Fovea)</dt>
          <dd>{db(test.ai.psd)}</dd>
          <dt>Analyzer</dt>
          <dd>{test.ai.analyzer}</dd>
        </>
      )}
    </dl>
  );
}

function Progression({ entry }: { readonly entry: VisualFieldEyeView }) {
  const progression = entry.progression;
  if (progression === null) {
    return null;
  }
  return (
    <div className="vf-progression" data-testid="vf-progression" data-verdict={progression.verdict}>
      <h4>
        Progression over {progression.series.length} test{progression.series.length === 1 ? '' : 's'}{' '}
        <span className="ai-tag">{progression.label}</span>
      </h4>
      <dl className="vf-facts">
        <dt>Verdict</dt>
        <dd data-testid="vf-verdict">{verdicts[progression.verdict] ?? progression.verdict}</dd>
        <dt>MD slope</dt>
        <dd data-testid="vf-md-slope">
          {progression.mdSlopeDbPerYear === null ? '—' : `${signed(progression.mdSlopeDbPerYear, 2)} dB/yr`}
          {progression.mdSlopeP === null ? '' : ` (p ${pValue(progression.mdSlopeP)})`}
        </dd>
        <dt>PoPLR p</dt>
        <dd>{pValue(progression.poplrP)}</dd>
        <dt>Analyzer</dt>
        <dd>{progression.analyzer}</dd>
      </dl>
      {progression.series.length > 1 ? (
        <img
          className="vf-trend-plot"
          data-testid="vf-trend-plot"
          src={progression.trendPlot}
          alt={`Trend plot of MD over time, ${eyeNames[entry.eye]}`}
        />
      ) : null}
    </div>
  );
}

/** The perimeter's deviation maps, and Fovea's pattern deviation (and total, when the perimeter gave none). */
function Deviations({ test }: { readonly test: VisualFieldTestView }) {
  const kind = deviationKind(test);
  const names = { total: 'Total deviation', pattern: 'Pattern deviation' } as const;
  const fovea = test.aiDeviations;
  return (
    <>
      {kind === 'none' ? (
        <p className="no-image">The perimeter wrote no deviation values.</p>
      ) : (
        <VfDeviation
          test={test}
          points={perimeterDeviations(test, kind)}
          kind={kind}
          source="perimeter"
          title={`${names[kind]} (perimeter)`}
        />
      )}
      {fovea === null ? null : (
        <>
          <h4 className="vf-fovea-title">
            Fovea’s deviations <span className="ai-tag">{fovea.label}</span>{' '}
            <span data-testid="vf-deviation-analyzer">{fovea.analyzer}</span>
          </h4>
          {(kind === 'none' ? (['total', 'pattern'] as const) : (['pattern'] as const)).map((shown) => (
            <VfDeviation
              key={shown}
              test={test}
              points={foveaDeviations(test, shown)}
              kind={shown}
              source="fovea"
              title={`${names[shown]} (Fovea)`}
            />
          ))}
        </>
      )}
    </>
  );
}

function EyeFields({ entry }: { readonly entry: VisualFieldEyeView }) {
  const test = entry.tests.at(-1);
  return (
    <div className="eye-column vf-eye" data-testid="vf-eye" data-eye={entry.eye}>
      <h3>{eyeNames[entry.eye]}</h3>
      {test === undefined ? (
        <p className="no-image">No field of this eye in the study.</p>
      ) : (
        <>
          <p className="vf-test-line" data-testid="vf-test" data-sop={test.sopInstanceUid}>
            {test.pattern === 'other' ? 'Static perimetry' : test.pattern} · {test.date ?? 'date unknown'}
            {entry.tests.length > 1 ? ` (latest of ${String(entry.tests.length)})` : ''}
          </p>
          <div className="vf-maps">
            <figure>
              <VfGreyscale test={test} />
              <figcaption>Grey scale</figcaption>
            </figure>
            <figure>
              <VfNumeric test={test} />
              <figcaption>Sensitivity (dB)</figcaption>
            </figure>
          </div>
          <Deviations test={test} />
          <div className="vf-fact-columns">
            <Indices test={test} />
            <Reliability test={test} />
          </div>
        </>
      )}
      <Progression entry={entry} />
    </div>
  );
}

/** The visual-field section of a study. */
export function VisualFieldSection({
  studyInstanceUid,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  const { value: fields, error: failure } = useLoaded(
    useCallback(() => fetchVisualFields(studyInstanceUid), [studyInstanceUid]),
    onUnauthorized,
  );
  const error = failure === undefined ? undefined : 'The visual fields could not be loaded.';

  return (
    <section className="vf-section" aria-label="Visual fields" data-testid="vf-section">
      <h2>Visual fields</h2>
      {error === undefined ? null : (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {fields === undefined ? (
        error === undefined ? (
          <p>Loading…</p>
        ) : null
      ) : (
        <>
          <div className="vf-legends">
            <VfGreyLegend />
            <VfProbabilityLegend />
          </div>
          <div className="eyes">
            {eyesRightFirst.map((eye) => {
              const entry = fields.eyes.find((candidate) => candidate.eye === eye);
              return entry === undefined ? (
                <p key={eye} className="no-image">
                  {eyeNames[eye]}: no visual field
                </p>
              ) : (
                <EyeFields key={eye} entry={entry} />
              );
            })}
          </div>
        </>
      )}
    </section>
  );
}
