/**
 * The macular thickness report of the OCT macula analyzer: a Comprehensive SR whose content follows TID 2124
 * Macular Thickness Key Measurements, with TID 4019 Algorithm Identification and one TID 2120 Ophthalmology
 * Measurements Group per eye carrying the ETDRS grid measurements of CID 4285.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_TID_2124.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_TID_2120.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_4285.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_4262.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.35.3.html (Comprehensive SR IOD)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { Eye } from '../../core/eye.ts';
import type { CodedConcept, FindingProvenance } from '../../core/finding.ts';
import { codes } from './codes.ts';
import {
  checkText,
  codeItem,
  containerItem,
  imageItem,
  numItem,
  textItem,
  uidrefItem,
} from './content-items.ts';
import type { ContentItem } from './content-items.ts';
import {
  contentTemplate,
  deviceObserverContext,
  deviceObserverFor,
  languageItem,
  srDocumentDataset,
  type ReportStatus,
} from './document.ts';
import type { DeviceIdentity, NewInstanceIdentity, SopInstanceReference } from './document.ts';
import { deriveUid, requireUid, writeSrPart10 } from './part10.ts';
import { patientStudyAttributes } from './source-study.ts';
import type { SourceStudyContext } from './source-study.ts';
import {
  finalStatement,
  lateralityCode,
  modelHashPrefix,
  preliminaryStatement,
} from './tid1500-measurement-report.ts';

/** Comprehensive SR Storage: holds every value type TID 2124 needs (CONTAINER, CODE, TEXT, UIDREF, NUM, IMAGE). */
export const comprehensiveSrSopClassUid = '1.2.840.10008.5.1.4.1.1.88.33';

function concept(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

/** The coded concepts of TID 2124 / TID 2120 / CID 4285 / CID 4262 that the TID 1500 table does not hold. */
export const macularCodes = {
  macularThicknessKeyMeasurements: concept('131243', 'DCM', 'Macular Thickness Key Measurements'),
  measurementMethod: concept('370129005', 'SCT', 'Measurement Method'),
  centrePointThickness: concept('57108-3', 'LN', 'Macular grid.center point thickness by OCT'),
  centreSubfieldThickness: concept('57109-1', 'LN', 'Macular grid.center subfield thickness by OCT'),
  innerSuperior: concept('57110-9', 'LN', 'Macular grid.inner superior subfield thickness by OCT'),
  innerNasal: concept('57111-7', 'LN', 'Macular grid.inner nasal subfield thickness by OCT'),
  innerInferior: concept('57112-5', 'LN', 'Macular grid.inner inferior subfield thickness by OCT'),
  innerTemporal: concept('57113-3', 'LN', 'Macular grid.inner temporal subfield thickness by OCT'),
  outerSuperior: concept('57114-1', 'LN', 'Macular grid.outer superior subfield thickness by OCT'),
  outerNasal: concept('57115-8', 'LN', 'Macular grid.outer nasal subfield thickness by OCT'),
  outerInferior: concept('57116-6', 'LN', 'Macular grid.outer inferior subfield thickness by OCT'),
  outerTemporal: concept('57117-4', 'LN', 'Macular grid.outer temporal subfield thickness by OCT'),
  totalVolume: concept('57118-2', 'LN', 'Macular grid.total volume by OCT'),
  ilmToRpe: concept('111928', 'DCM', 'Total retinal thickness (ILM to RPE)'),
  ilmToBm: concept('111929', 'DCM', 'Total retinal thickness (ILM to BM)'),
  micrometre: concept('um', 'UCUM', 'micrometer'),
  cubicMillimetre: concept('mm3', 'UCUM', 'cubic millimeter'),
} as const satisfies Record<string, CodedConcept>;

/** The nine ETDRS subfield thicknesses of one eye, in µm. */
export interface EtdrsSubfields {
  /** The central subfield: the same value as the CST (checked). */
  readonly centre: number;
  readonly innerSuperior: number;
  readonly innerNasal: number;
  readonly innerInferior: number;
  readonly innerTemporal: number;
  readonly outerSuperior: number;
  readonly outerNasal: number;
  readonly outerInferior: number;
  readonly outerTemporal: number;
}

/** An OCT instance the measurements of an eye were computed from. */
export interface MacularSourceInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Needed for the evidence sequence (hierarchical references). */
  readonly seriesInstanceUid: string;
}

/** Retinal thickness definition: inner and outer boundary (CID 4262 111929 / 111928). */
export type RetinalThicknessDefinition = 'ILM-BM' | 'ILM-RPE';

/** The macular thickness measurements of one eye, as the OCT macula analyzer computes them. */
export interface MacularThicknessEye {
  readonly eye: Eye;
  /** Central subfield thickness (mean over the 1 mm circle), µm; written once, as LOINC 57109-1. */
  readonly cst_um: number;
  /** Thickness at the foveal centre point, µm. */
  readonly centrePoint_um: number;
  readonly subfields: EtdrsSubfields;
  /** Total volume of the 6 mm grid, mm³. */
  readonly totalVolume_mm3: number;
  readonly thicknessDefinition: RetinalThicknessDefinition;
  readonly sourceInstances: readonly MacularSourceInstance[];
}

/** The algorithm that made the measurements (TID 4019), as the TID 1500 writer takes it from provenance. */
export type MacularAlgorithm = Pick<FindingProvenance, 'analyzerId' | 'analyzerVersion' | 'modelHash'>;

/** What a macular thickness report is built from. The same input always gives byte-identical output. */
export interface MacularThicknessReportInput extends NewInstanceIdentity {
  readonly study: SourceStudyContext;
  /** One entry per eye (at most one per eye). */
  readonly eyes: readonly MacularThicknessEye[];
  readonly device: DeviceIdentity;
  readonly algorithm: MacularAlgorithm;
  readonly status: ReportStatus;
  readonly predecessors?: readonly SopInstanceReference[];
  /** Default: "Macular thickness (Fovea) — preliminary" or "… — final". */
  readonly seriesDescription?: string;
}

function invalid(detail: string): FoveaError {
  return new FoveaError('FOVEA_SR_INVALID', { detail });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw invalid(`${what} must be a finite non-negative number, got ${value}`);
  }
  return value;
}

/** The CID 4285 measurements of one eye in template order: concept, value, unit. */
function measurementsOf(eye: MacularThicknessEye): [CodedConcept, number, CodedConcept][] {
  const um = macularCodes.micrometre;
  const s = eye.subfields;
  return [
    [macularCodes.centrePointThickness, eye.centrePoint_um, um],
    [macularCodes.centreSubfieldThickness, eye.cst_um, um],
    [macularCodes.innerSuperior, s.innerSuperior, um],
    [macularCodes.innerNasal, s.innerNasal, um],
    [macularCodes.innerInferior, s.innerInferior, um],
    [macularCodes.innerTemporal, s.innerTemporal, um],
    [macularCodes.outerSuperior, s.outerSuperior, um],
    [macularCodes.outerNasal, s.outerNasal, um],
    [macularCodes.outerInferior, s.outerInferior, um],
    [macularCodes.outerTemporal, s.outerTemporal, um],
    [macularCodes.totalVolume, eye.totalVolume_mm3, macularCodes.cubicMillimetre],
  ];
}

function thicknessDefinitionCode(definition: RetinalThicknessDefinition): CodedConcept {
  switch (definition) {
    case 'ILM-BM':
      return macularCodes.ilmToBm;
    case 'ILM-RPE':
      return macularCodes.ilmToRpe;
    default:
      throw invalid(`unknown retinal thickness definition ${JSON.stringify(definition)}`);
  }
}

function canonicalSources(sources: readonly MacularSourceInstance[]): MacularSourceInstance[] {
  const seen = new Map<string, MacularSourceInstance>();
  for (const source of sources) {
    requireUid(source.sopClassUid, 'source SOP Class UID');
    requireUid(source.sopInstanceUid, 'source SOP Instance UID');
    requireUid(source.seriesInstanceUid, 'source Series Instance UID');
    const known = seen.get(source.sopInstanceUid);
    if (
      known !== undefined &&
      (known.sopClassUid !== source.sopClassUid || known.seriesInstanceUid !== source.seriesInstanceUid)
    ) {
      throw invalid('one source instance is listed twice with different attributes');
    }
    seen.set(source.sopInstanceUid, source);
  }
  return [...seen.values()].sort((a, b) => compare(a.sopInstanceUid, b.sopInstanceUid));
}

/**
 * One TID 2120 Ophthalmology Measurements Group: tracking, Finding Site = Eye with its Laterality (CID 247),
 * the retinal thickness definition (CID 4262) as Measurement Method, every CID 4285 measurement, and the
 * evaluated OCT instances as Source images (the TID 1501 rows TID 2120 keeps).
 */
function measurementsGroup(
  eye: MacularThicknessEye,
  studyInstanceUid: string,
  analyzerId: string,
): ContentItem {
  const side: string = eye.eye;
  const laterality = side === 'R' || side === 'L' ? lateralityCode(eye.eye) : undefined;
  if (laterality === undefined) {
    throw invalid('each measurements group must be about the right or the left eye');
  }
  if (!(Math.abs(eye.subfields.centre - eye.cst_um) <= 1e-6)) {
    throw invalid('the centre subfield thickness is the CST: the two values must be equal');
  }
  const sources = canonicalSources(eye.sourceInstances);
  if (sources.length === 0) {
    throw invalid(`the ${eye.eye} eye lists no source instance`);
  }
  const children: ContentItem[] = [
    textItem(
      'HAS OBS CONTEXT',
      codes.trackingIdentifier,
      `dme-quantification/macular-thickness (${eye.eye})`,
    ),
    uidrefItem(
      'HAS OBS CONTEXT',
      codes.trackingUniqueIdentifier,
      deriveUid('tracking', studyInstanceUid, eye.eye, analyzerId, 'dme-quantification', 'macular-thickness'),
    ),
    codeItem('HAS CONCEPT MOD', codes.findingSite, codes.eye, [
      codeItem('HAS CONCEPT MOD', codes.laterality, laterality),
    ]),
    codeItem(
      'HAS CONCEPT MOD',
      macularCodes.measurementMethod,
      thicknessDefinitionCode(eye.thicknessDefinition),
    ),
  ];
  for (const [name, value, unit] of measurementsOf(eye)) {
    children.push(numItem('CONTAINS', name, nonNegative(value, name.meaning), unit));
  }
  for (const source of sources) {
    children.push(
      imageItem(
        'CONTAINS',
        { sopClassUid: source.sopClassUid, sopInstanceUid: source.sopInstanceUid },
        codes.source,
      ),
    );
  }
  return {
    ...containerItem('CONTAINS', codes.measurementGroup, children),
    ContentTemplateSequence: contentTemplate('2120'),
  };
}

/** TID 4019 Algorithm Identification at the root of TID 2124 (row 4: HAS OBS CONTEXT). */
function algorithmIdentification(algorithm: MacularAlgorithm): ContentItem[] {
  if (algorithm.analyzerId === '' || algorithm.analyzerVersion === '') {
    throw invalid('the algorithm needs its analyzer id and version');
  }
  const items = [
    textItem('HAS OBS CONTEXT', codes.algorithmName, checkText(algorithm.analyzerId, 1024, 'algorithm name')),
    textItem('HAS OBS CONTEXT', codes.algorithmVersion, algorithm.analyzerVersion),
  ];
  if (algorithm.modelHash !== '') {
    items.push(
      textItem('HAS OBS CONTEXT', codes.algorithmParameters, `${modelHashPrefix}${algorithm.modelHash}`),
    );
  }
  return items;
}

/** The default Series Description of a macular thickness report. */
export function defaultMacularSeriesDescription(status: ReportStatus): string {
  return status.kind === 'preliminary'
    ? 'Macular thickness (Fovea) — preliminary'
    : 'Macular thickness (Fovea) — final';
}

/**
 * Builds the TID 2124 content tree and the Comprehensive SR data set (the step before writing).
 * @throws FoveaError `FOVEA_SR_INVALID` when the input cannot make a conformant report.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_TID_2124.html
 */
export function buildMacularThicknessReportDataset(input: MacularThicknessReportInput): NaturalDataset {
  if (input.eyes.length === 0) {
    throw invalid('a macular thickness report needs at least one eye');
  }
  const eyeOrder: Readonly<Record<Eye, number>> = { R: 0, L: 1 };
  const eyes = [...input.eyes].sort((a, b) => eyeOrder[a.eye] - eyeOrder[b.eye]);
  if (new Set(eyes.map((eye) => eye.eye)).size !== eyes.length) {
    throw invalid('at most one measurements group per eye');
  }
  const study = patientStudyAttributes(input.study);
  const observer = deviceObserverFor(input.device, input.algorithm.analyzerId);
  const content: ContentItem[] = [
    languageItem(),
    ...deviceObserverContext(observer),
    ...algorithmIdentification(input.algorithm),
    ...eyes.map((eye) => measurementsGroup(eye, input.study.studyInstanceUid, input.algorithm.analyzerId)),
    textItem(
      'CONTAINS',
      codes.comment,
      input.status.kind === 'preliminary' ? preliminaryStatement : finalStatement,
    ),
  ];
  const evidence = canonicalSources(eyes.flatMap((eye) => eye.sourceInstances));
  return srDocumentDataset({
    sopClassUid: comprehensiveSrSopClassUid,
    identity: input,
    device: input.device,
    seriesDescription: input.seriesDescription ?? defaultMacularSeriesDescription(input.status),
    patientStudy: study,
    studyInstanceUid: input.study.studyInstanceUid,
    evidence,
    rootConcept: macularCodes.macularThicknessKeyMeasurements,
    templateIdentifier: '2124',
    content,
    status: input.status,
    predecessors: input.predecessors ?? [],
  });
}

/**
 * Builds the macular thickness report: a Part 10 Comprehensive SR (Explicit VR Little Endian) in the source
 * study, content per TID 2124 with one TID 2120 group per eye. Deterministic: the same input gives the same
 * bytes, so a retried delivery resends the identical instance.
 * @throws FoveaError `FOVEA_SR_INVALID` when the input cannot make a conformant report.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_TID_2124.html
 */
export function buildMacularThicknessReport(input: MacularThicknessReportInput): Uint8Array {
  return writeSrPart10(buildMacularThicknessReportDataset(input));
}
