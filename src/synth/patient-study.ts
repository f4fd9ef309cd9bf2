/**
 * One visit of one patient: both eyes in one study (shared Patient and Study modules), one series per
 * object kind and eye, and each eye's findings chosen by the caller.
 */
import type { Eye } from '../core/eye.ts';
import { eyes } from '../core/eye.ts';
import type { SynthTransferSyntax } from './dicom-part10.ts';
import type { FundusArtefact } from './fundus-artefacts.ts';
import type { IcdrLevel, LesionOptions, SevereCriterion } from './fundus-lesions.ts';
import { generateFundus } from './generate-fundus.ts';
import { generateOctCircleScan, generateOctVolume } from './generate-oct.ts';
import { generateVisualField } from './generate-vf.ts';
import type { FluidType } from './oct-pathology.ts';
import type { SynthObject } from './objects.ts';
import { makePatient, makeStudy } from './patients.ts';
import type { SynthPatient, SynthStudyRef } from './patients.ts';
import type { Seed } from './rng.ts';
import type { ArcuateDefect, VfPattern } from './visual-field.ts';

/** What one eye shows at a visit. */
export interface EyeFindings {
  readonly icdr?: IcdrLevel;
  readonly dme?: boolean;
  readonly dmeCentreInvolved?: boolean;
  readonly severeCriteria?: readonly SevereCriterion[];
  readonly proliferative?: LesionOptions['proliferative'];
  readonly artefacts?: readonly FundusArtefact[];
  readonly fluid?: readonly FluidType[];
  readonly cupToDiscRatio?: number;
  /** Glaucomatous RNFL loss per bundle (0–1), used by circle scans and the macular GCL. */
  readonly superiorRnflLoss?: number;
  readonly inferiorRnflLoss?: number;
  /** Visual field defects of this eye. */
  readonly vfDefects?: readonly ArcuateDefect[];
}

/** Which objects a visit produces. */
export interface VisitContent {
  readonly fundus?: boolean;
  readonly octVolume?: boolean;
  readonly octCircleScan?: boolean;
  readonly visualField?: boolean;
}

/** Options of {@link generatePatientStudy}. */
export interface PatientStudyOptions {
  readonly seed: Seed;
  readonly patient?: SynthPatient;
  readonly study?: SynthStudyRef;
  /** Study date when no study is given (YYYYMMDD). */
  readonly studyDate?: string;
  /** Distinguishes several visits generated from one seed. */
  readonly visitLabel?: string | number;
  readonly findings?: Partial<Record<Eye, EyeFindings>>;
  /** Which eyes to image (default both). */
  readonly eyes?: readonly Eye[];
  /** Default: colour fundus photographs only. */
  readonly content?: VisitContent;
  readonly transferSyntax?: SynthTransferSyntax;
  readonly fundusSize?: { readonly width: number; readonly height: number };
  readonly octSize?: { readonly frames?: number; readonly columns?: number; readonly rows?: number };
  readonly vfPattern?: VfPattern;
}

/** A generated visit. */
export interface PatientStudy {
  readonly patient: SynthPatient;
  readonly study: SynthStudyRef;
  readonly objects: SynthObject[];
}

/** Generates one visit: the requested objects for both eyes in one study. */
export async function generatePatientStudy(options: PatientStudyOptions): Promise<PatientStudy> {
  const patient = options.patient ?? makePatient({ seed: options.seed });
  const study =
    options.study ??
    makeStudy({
      seed: options.seed,
      label: options.visitLabel ?? 0,
      ...(options.studyDate === undefined ? {} : { studyDate: options.studyDate }),
    });
  const content = options.content ?? { fundus: true };
  const objects: SynthObject[] = [];
  const visitSeed = `${String(options.seed)}/visit/${String(options.visitLabel ?? 0)}`;
  const context = { patient, study, anatomySeed: patient.anatomySeed };
  const transfer = options.transferSyntax === undefined ? {} : { transferSyntax: options.transferSyntax };
  for (const eye of options.eyes ?? eyes) {
    const findings = options.findings?.[eye] ?? {};
    if (content.fundus === true) {
      objects.push(
        await generateFundus({
          ...context,
          ...transfer,
          seed: visitSeed,
          eye,
          icdr: findings.icdr ?? 0,
          dme: findings.dme ?? false,
          ...(findings.dmeCentreInvolved === undefined
            ? {}
            : { dmeCentreInvolved: findings.dmeCentreInvolved }),
          ...(findings.severeCriteria === undefined ? {} : { severeCriteria: findings.severeCriteria }),
          ...(findings.proliferative === undefined ? {} : { proliferative: findings.proliferative }),
          ...(findings.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: findings.cupToDiscRatio }),
          artefacts: findings.artefacts ?? [],
          ...(options.fundusSize ?? {}),
        }),
      );
    }
    if (content.octVolume === true) {
      const loss = Math.max(findings.superiorRnflLoss ?? 0, findings.inferiorRnflLoss ?? 0);
      const { oct, slo } = await generateOctVolume({
        ...context,
        ...transfer,
        seed: visitSeed,
        eye,
        fluid: findings.fluid ?? [],
        dme: findings.dme ?? false,
        glaucomaLoss: loss,
        ...(findings.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: findings.cupToDiscRatio }),
        ...(options.octSize ?? {}),
      });
      objects.push(oct, slo);
    }
    if (content.octCircleScan === true) {
      const { oct, slo } = await generateOctCircleScan({
        ...context,
        ...transfer,
        seed: visitSeed,
        eye,
        superiorLoss: findings.superiorRnflLoss ?? 0,
        inferiorLoss: findings.inferiorRnflLoss ?? 0,
        ...(findings.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: findings.cupToDiscRatio }),
      });
      objects.push(oct, slo);
    }
    if (content.visualField === true) {
      objects.push(
        generateVisualField({
          patient,
          study,
          seed: visitSeed,
          eye,
          pattern: options.vfPattern ?? '24-2',
          defects: findings.vfDefects ?? [],
        }),
      );
    }
  }
  return { patient, study, objects };
}
