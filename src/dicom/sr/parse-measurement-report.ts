/**
 * Reading a TID 1500 measurement report back into a typed structure: the document flags and references,
 * the observer context, the image library, and each measurement group with the finding it states. Used to
 * check what Fovea delivered and to read it back later; it reads other writers' TID 1500 reports too, as far
 * as their groups use the same concepts.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_1500
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { Eye, InstanceEye } from '../../core/eye.ts';
import type { CodedConcept, FindingValue, RegionFindingValue, UngradableReason } from '../../core/finding.ts';
import { codes, sameConcept, ungradableReasonCodes } from './codes.ts';
import {
  childrenNamed,
  codeValue,
  hasConcept,
  personNameValue,
  readContentNode,
  sequenceItems,
  stringValue,
} from './content-tree.ts';
import type { SrContentNode } from './content-tree.ts';
import type { DeviceObserver, EvaluatedInstance, SopInstanceReference } from './document.ts';
import { parseDt, readPart10Dataset } from './part10.ts';
import { sourceStudyContextOf } from './source-study.ts';
import type { SourceStudyContext } from './source-study.ts';
import { modelHashPrefix, parseTrackingIdentifier } from './tid1500-measurement-report.ts';

/** SR storage classes whose content can hold a TID 1500 report. */
const srSopClasses = new Set([
  '1.2.840.10008.5.1.4.1.1.88.22',
  '1.2.840.10008.5.1.4.1.1.88.33',
  '1.2.840.10008.5.1.4.1.1.88.34',
]);

/** TID 4019 values of a group. */
export interface ParsedAlgorithm {
  readonly name: string;
  readonly version: string;
  readonly parameters: readonly string[];
}

/** One measurement group as read. */
export interface ParsedMeasurementGroup {
  readonly trackingIdentifier?: string;
  readonly trackingUid?: string;
  /** Finding (121071), when present. */
  readonly finding?: CodedConcept;
  /** From the Finding Site's Laterality. */
  readonly eye?: Eye;
  readonly algorithm?: ParsedAlgorithm;
  /** The Source (260753009) images of the group. */
  readonly sourceSopInstanceUids: readonly string[];
  /** The finding value, when the group uses the concepts Fovea writes. */
  readonly value?: FindingValue;
  /** From a Tracking Identifier written by Fovea (`<use case>/<key> (<eye>)`). */
  readonly useCase?: string;
  readonly key?: string;
  /** From an Algorithm Parameters value `model-sha256=…`. */
  readonly modelHash?: string;
  readonly node: SrContentNode;
}

/** A verifying observer as read. */
export interface ParsedVerifier {
  readonly name: string;
  readonly organization: string;
  readonly dateTime?: Date;
}

/** A measurement report as read. */
export interface ParsedMeasurementReport {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  readonly instanceNumber?: number;
  readonly modality?: string;
  readonly study: SourceStudyContext;
  readonly completionFlag?: string;
  readonly verificationFlag?: string;
  readonly preliminaryFlag?: string;
  readonly verifiers: readonly ParsedVerifier[];
  readonly predecessors: readonly SopInstanceReference[];
  /** Current Requested Procedure Evidence. */
  readonly evidence: readonly SopInstanceReference[];
  readonly contentDateTime?: Date;
  readonly title: CodedConcept;
  readonly templateIdentifier?: string;
  readonly language?: CodedConcept;
  readonly observers: readonly DeviceObserver[];
  readonly proceduresReported: readonly CodedConcept[];
  readonly imageLibrary: readonly Omit<EvaluatedInstance, 'seriesInstanceUid'>[];
  readonly groups: readonly ParsedMeasurementGroup[];
  /** TEXT (121106, DCM, "Comment") items at the root. */
  readonly comments: readonly string[];
  readonly root: SrContentNode;
}

function malformed(detail: string): FoveaError {
  return new FoveaError('FOVEA_DICOM_MALFORMED', { detail });
}

function hierarchical(dataset: NaturalDataset, keyword: string): SopInstanceReference[] {
  return sequenceItems(dataset, keyword).flatMap((study) =>
    sequenceItems(study, 'ReferencedSeriesSequence').flatMap((series) =>
      sequenceItems(series, 'ReferencedSOPSequence').flatMap((sop) => {
        const studyInstanceUid = stringValue(study, 'StudyInstanceUID');
        const seriesInstanceUid = stringValue(series, 'SeriesInstanceUID');
        const sopClassUid = stringValue(sop, 'ReferencedSOPClassUID');
        const sopInstanceUid = stringValue(sop, 'ReferencedSOPInstanceUID');
        if (seriesInstanceUid === undefined || sopClassUid === undefined || sopInstanceUid === undefined) {
          return [];
        }
        return [
          {
            ...(studyInstanceUid === undefined ? {} : { studyInstanceUid }),
            seriesInstanceUid,
            sopClassUid,
            sopInstanceUid,
          },
        ];
      }),
    ),
  );
}

function eyeOfLaterality(code: CodedConcept | undefined): InstanceEye {
  if (sameConcept(code, codes.right)) {
    return 'R';
  }
  if (sameConcept(code, codes.left)) {
    return 'L';
  }
  if (sameConcept(code, codes.bilateral)) {
    return 'B';
  }
  return 'U';
}

/** Device observers from the root's HAS OBS CONTEXT items (a new observer starts at each Observer Type). */
function readObservers(root: SrContentNode): DeviceObserver[] {
  const observers: DeviceObserver[] = [];
  let current: Record<string, string> | undefined;
  const flush = (): void => {
    if (current?.uid !== undefined) {
      observers.push({
        uid: current.uid,
        name: current.name ?? '',
        manufacturer: current.manufacturer ?? '',
        modelName: current.modelName ?? '',
        ...(current.serialNumber === undefined ? {} : { serialNumber: current.serialNumber }),
        ...(current.physicalLocation === undefined ? {} : { physicalLocation: current.physicalLocation }),
      });
    }
  };
  const fields: readonly [CodedConcept, string][] = [
    [codes.deviceObserverName, 'name'],
    [codes.deviceObserverManufacturer, 'manufacturer'],
    [codes.deviceObserverModelName, 'modelName'],
    [codes.deviceObserverSerialNumber, 'serialNumber'],
    [codes.deviceObserverPhysicalLocation, 'physicalLocation'],
  ];
  for (const child of root.children) {
    if (child.relationship !== 'HAS OBS CONTEXT') {
      continue;
    }
    if (hasConcept(child, codes.observerType)) {
      flush();
      current = sameConcept(child.code, codes.device) ? {} : undefined;
    } else if (
      current !== undefined &&
      hasConcept(child, codes.deviceObserverUid) &&
      child.uid !== undefined
    ) {
      current.uid = child.uid;
    } else if (current !== undefined && child.text !== undefined) {
      const field = fields.find(([concept]) => hasConcept(child, concept));
      if (field !== undefined) {
        current[field[1]] = child.text;
      }
    }
  }
  flush();
  return observers;
}

function readImageLibrary(root: SrContentNode): Omit<EvaluatedInstance, 'seriesInstanceUid'>[] {
  const library = childrenNamed(root, codes.imageLibrary, 'CONTAINER')[0];
  if (library === undefined) {
    return [];
  }
  const entries: Omit<EvaluatedInstance, 'seriesInstanceUid'>[] = [];
  const visit = (node: SrContentNode): void => {
    for (const child of node.children) {
      if (child.valueType === 'IMAGE' && child.reference !== undefined) {
        const laterality = childrenNamed(child, codes.imageLaterality, 'CODE')[0]?.code;
        entries.push({
          sopClassUid: child.reference.sopClassUid,
          sopInstanceUid: child.reference.sopInstanceUid,
          eye: eyeOfLaterality(laterality),
        });
      } else if (child.valueType === 'CONTAINER') {
        visit(child);
      }
    }
  };
  visit(library);
  return entries;
}

/** A confidence in [0, 1] from a Certainty of Finding NUM (percent or unit-less). */
function confidenceOf(node: SrContentNode | undefined): number | undefined {
  if (node?.num === undefined) {
    return undefined;
  }
  const { value, unit } = node.num;
  return unit?.value === '%' ? Number((value / 100).toPrecision(12)) : value;
}

const reasonByCode = new Map(
  Object.entries(ungradableReasonCodes).map(([reason, code]) => [code.value, reason as UngradableReason]),
);

function qualityValue(group: SrContentNode, rating: SrContentNode): FindingValue | undefined {
  let verdict: 'gradable' | 'ungradable';
  if (sameConcept(rating.code, codes.diagnosticQuality)) {
    verdict = 'gradable';
  } else if (sameConcept(rating.code, codes.nonDiagnosticQuality)) {
    verdict = 'ungradable';
  } else {
    return undefined;
  }
  const score = childrenNamed(group, codes.imageQualityScore, 'NUM')[0]?.num?.value;
  const reasons = childrenNamed(group, codes.ungradableReason, 'CODE').flatMap((node) => {
    const reason = node.code === undefined ? undefined : reasonByCode.get(node.code.value);
    return reason === undefined ? [] : [reason];
  });
  const components: Record<string, number> = {};
  for (const node of childrenNamed(group, codes.qualityComponent, 'NUM')) {
    const name = childrenNamed(node, codes.qualityComponentName, 'TEXT')[0]?.text;
    if (name !== undefined && node.num !== undefined) {
      components[name] = node.num.value;
    }
  }
  return score === undefined ? undefined : { kind: 'quality', verdict, score, reasons, components };
}

function regionValue(
  finding: CodedConcept | undefined,
  region: SrContentNode,
): RegionFindingValue | undefined {
  const selectedFrom = region.children.find(
    (child) => child.relationship === 'SELECTED FROM' && child.valueType === 'IMAGE',
  )?.reference;
  const graphicType = region.scoord?.graphicType;
  if (
    finding === undefined ||
    selectedFrom === undefined ||
    (graphicType !== 'POINT' &&
      graphicType !== 'MULTIPOINT' &&
      graphicType !== 'POLYLINE' &&
      graphicType !== 'CIRCLE')
  ) {
    return undefined;
  }
  const frame = selectedFrom.frames[0];
  return {
    kind: 'region',
    concept: finding,
    sopInstanceUid: selectedFrom.sopInstanceUid,
    ...(frame === undefined ? {} : { frame }),
    graphicType,
    points: region.scoord?.points ?? [],
  };
}

/** The finding value a group states, recognised by the concepts Fovea writes. */
function groupValue(group: SrContentNode, finding: CodedConcept | undefined): FindingValue | undefined {
  const contained = group.children.filter((child) => child.relationship === 'CONTAINS');
  const region = contained.find(
    (child) => child.valueType === 'SCOORD' && hasConcept(child, codes.imageRegion),
  );
  if (region !== undefined) {
    const value = regionValue(finding, region);
    const confidence = confidenceOf(contained.find((child) => hasConcept(child, codes.certaintyOfFinding)));
    return value === undefined || confidence === undefined ? value : { ...value, confidence };
  }
  const rating = contained.find(
    (child) => child.valueType === 'CODE' && hasConcept(child, codes.imageSetQualityRating),
  );
  if (rating !== undefined) {
    return qualityValue(group, rating);
  }
  const measurement = contained.find(
    (child) =>
      child.valueType === 'NUM' && child.num !== undefined && !hasConcept(child, codes.certaintyOfFinding),
  );
  if (measurement?.concept !== undefined && measurement.num?.unit !== undefined) {
    const qualifier = childrenNamed(measurement, codes.findingSite, 'CODE')
      .flatMap((site) => childrenNamed(site, codes.topographicalModifier, 'CODE'))
      .map((node) => node.code)
      .find((code) => code !== undefined);
    return {
      kind: 'measurement',
      concept: measurement.concept,
      value: measurement.num.value,
      unit: measurement.num.unit,
      ...(qualifier === undefined ? {} : { qualifier }),
    };
  }
  const classification = contained.find(
    (child) => child.valueType === 'CODE' && child.code !== undefined && !hasConcept(child, codes.finding),
  );
  if (classification?.concept !== undefined && classification.code !== undefined) {
    const confidence = confidenceOf(
      classification.children.find(
        (child) => child.relationship === 'HAS PROPERTIES' && hasConcept(child, codes.certaintyOfFinding),
      ),
    );
    return {
      kind: 'classification',
      concept: classification.concept,
      value: classification.code,
      ...(confidence === undefined ? {} : { confidence }),
    };
  }
  return undefined;
}

function readGroup(node: SrContentNode): ParsedMeasurementGroup {
  const trackingIdentifier = childrenNamed(node, codes.trackingIdentifier, 'TEXT')[0]?.text;
  const trackingUid = childrenNamed(node, codes.trackingUniqueIdentifier, 'UIDREF')[0]?.uid;
  const finding = childrenNamed(node, codes.finding, 'CODE')[0]?.code;
  const site = childrenNamed(node, codes.findingSite, 'CODE')[0];
  const laterality =
    site === undefined ? 'U' : eyeOfLaterality(childrenNamed(site, codes.laterality)[0]?.code);
  const name = childrenNamed(node, codes.algorithmName, 'TEXT')[0]?.text;
  const version = childrenNamed(node, codes.algorithmVersion, 'TEXT')[0]?.text;
  const parameters = childrenNamed(node, codes.algorithmParameters, 'TEXT').flatMap((child) =>
    child.text === undefined ? [] : [child.text],
  );
  const modelHash = parameters
    .find((parameter) => parameter.startsWith(modelHashPrefix))
    ?.slice(modelHashPrefix.length);
  const tracking = trackingIdentifier === undefined ? undefined : parseTrackingIdentifier(trackingIdentifier);
  const value = groupValue(node, finding);
  const sourceSopInstanceUids = childrenNamed(node, codes.source, 'IMAGE').flatMap((child) =>
    child.reference === undefined ? [] : [child.reference.sopInstanceUid],
  );
  return {
    ...(trackingIdentifier === undefined ? {} : { trackingIdentifier }),
    ...(trackingUid === undefined ? {} : { trackingUid }),
    ...(finding === undefined ? {} : { finding }),
    ...(laterality === 'R' || laterality === 'L' ? { eye: laterality } : {}),
    ...(name === undefined || version === undefined ? {} : { algorithm: { name, version, parameters } }),
    sourceSopInstanceUids,
    ...(value === undefined ? {} : { value }),
    ...(tracking === undefined ? {} : { useCase: tracking.useCase, key: tracking.key }),
    ...(modelHash === undefined ? {} : { modelHash }),
    node,
  };
}

function integer(dataset: NaturalDataset, keyword: string): number | undefined {
  const text = stringValue(dataset, keyword);
  const value = text === undefined ? NaN : Number(text);
  return Number.isInteger(value) ? value : undefined;
}

/**
 * Reads a TID 1500 measurement report (Enhanced, Comprehensive or Comprehensive 3D SR).
 * @throws FoveaError `FOVEA_DICOM_MALFORMED` when the file is unreadable or its root is not a TID 1500
 *   Imaging Measurement Report; `FOVEA_DICOM_SOP_CLASS_UNSUPPORTED` when it is not an SR class that can
 *   hold one.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_1500
 */
export function parseMeasurementReport(part10: Uint8Array): ParsedMeasurementReport {
  const dataset = readPart10Dataset(part10);
  const sopClassUid = stringValue(dataset, 'SOPClassUID') ?? '';
  if (!srSopClasses.has(sopClassUid)) {
    throw new FoveaError('FOVEA_DICOM_SOP_CLASS_UNSUPPORTED', {
      detail: `not an SR storage class that holds TID 1500: ${sopClassUid}`,
    });
  }
  const root = readContentNode(dataset);
  const title = root.concept;
  if (
    root.valueType !== 'CONTAINER' ||
    title === undefined ||
    !sameConcept(title, codes.imagingMeasurementReport)
  ) {
    throw malformed('the root content item is not an Imaging Measurement Report container');
  }
  const sopInstanceUid = stringValue(dataset, 'SOPInstanceUID');
  const seriesInstanceUid = stringValue(dataset, 'SeriesInstanceUID');
  if (sopInstanceUid === undefined || seriesInstanceUid === undefined) {
    throw malformed('the report lacks its SOP Instance or Series Instance UID');
  }
  const measurements = childrenNamed(root, codes.imagingMeasurements, 'CONTAINER')[0];
  const groups = (measurements?.children ?? [])
    .filter((child) => child.valueType === 'CONTAINER' && hasConcept(child, codes.measurementGroup))
    .map(readGroup);
  const contentDate = stringValue(dataset, 'ContentDate');
  const contentTime = stringValue(dataset, 'ContentTime');
  const offset = stringValue(dataset, 'TimezoneOffsetFromUTC') ?? '';
  const contentDateTime =
    contentDate === undefined ? undefined : parseDt(`${contentDate}${contentTime ?? ''}${offset}`);
  const template = sequenceItems(dataset, 'ContentTemplateSequence')[0];
  const templateIdentifier = stringValue(template, 'TemplateIdentifier');
  const language = childrenNamed(root, codes.languageOfContent, 'CODE')[0]?.code;
  const seriesNumber = integer(dataset, 'SeriesNumber');
  const instanceNumber = integer(dataset, 'InstanceNumber');
  const seriesDescription = stringValue(dataset, 'SeriesDescription');
  const modality = stringValue(dataset, 'Modality');
  const completionFlag = stringValue(dataset, 'CompletionFlag');
  const verificationFlag = stringValue(dataset, 'VerificationFlag');
  const preliminaryFlag = stringValue(dataset, 'PreliminaryFlag');
  return {
    sopClassUid,
    sopInstanceUid,
    seriesInstanceUid,
    ...(seriesNumber === undefined ? {} : { seriesNumber }),
    ...(seriesDescription === undefined ? {} : { seriesDescription }),
    ...(instanceNumber === undefined ? {} : { instanceNumber }),
    ...(modality === undefined ? {} : { modality }),
    study: sourceStudyContextOf(dataset),
    ...(completionFlag === undefined ? {} : { completionFlag }),
    ...(verificationFlag === undefined ? {} : { verificationFlag }),
    ...(preliminaryFlag === undefined ? {} : { preliminaryFlag }),
    verifiers: sequenceItems(dataset, 'VerifyingObserverSequence').map((item) => {
      const dateTime = parseDt(stringValue(item, 'VerificationDateTime'));
      return {
        name: personNameValue(item, 'VerifyingObserverName') ?? '',
        organization: stringValue(item, 'VerifyingOrganization') ?? '',
        ...(dateTime === undefined ? {} : { dateTime }),
      };
    }),
    predecessors: hierarchical(dataset, 'PredecessorDocumentsSequence'),
    evidence: hierarchical(dataset, 'CurrentRequestedProcedureEvidenceSequence'),
    ...(contentDateTime === undefined ? {} : { contentDateTime }),
    title,
    ...(templateIdentifier === undefined ? {} : { templateIdentifier }),
    ...(language === undefined ? {} : { language }),
    observers: readObservers(root),
    proceduresReported: childrenNamed(root, codes.procedureReported, 'CODE').flatMap((node) =>
      node.code === undefined ? [] : [node.code],
    ),
    imageLibrary: readImageLibrary(root),
    groups,
    comments: childrenNamed(root, codes.comment, 'TEXT').flatMap((node) =>
      node.text === undefined ? [] : [node.text],
    ),
    root,
  };
}

/** The root concept of an SR-family Part 10 file (e.g. a KOS document title), for quick checks. */
export function readDocumentTitle(part10: Uint8Array): CodedConcept | undefined {
  return codeValue(readPart10Dataset(part10), 'ConceptNameCodeSequence');
}
