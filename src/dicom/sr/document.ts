/**
 * What Fovea's SR documents (the TID 1500 measurement report and the TID 2010 rejection note) share: the
 * identity of the writing device, references to other instances, the evidence and predecessor sequences,
 * the equipment and SOP Common attributes, and the device observer context.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html (SR Document General)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_1004
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceEye } from '../../core/eye.ts';
import type { CodedConcept } from '../../core/finding.ts';
import { codes, foveaSchemeIdentification } from './codes.ts';
import { checkText, codeItem, codeSequenceItem, textItem, uidrefItem } from './content-items.ts';
import type { ContentItem } from './content-items.ts';
import { deriveUid, formatDa, formatDt, formatTm, requireUid } from './part10.ts';

/** The manufacturer Fovea writes in General Equipment and in every device observer context. */
export const foveaManufacturer = 'Fovea';

/** The Fovea installation that writes the object. */
export interface DeviceIdentity {
  /** A UID identifying this Fovea installation; device observer UIDs are derived from it. */
  readonly uid: string;
  /** Device Observer Name (e.g. the station name of the installation). */
  readonly name: string;
  /** Fovea's version, written as Software Versions (0018,1020). */
  readonly softwareVersion: string;
  readonly serialNumber?: string;
  readonly institutionName?: string;
  /** Device Observer Physical Location During Observation. */
  readonly physicalLocation?: string;
}

/** A source instance the report is about. */
export interface EvaluatedInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** The laterality Fovea recorded for the instance. */
  readonly eye: InstanceEye;
}

/** A reference to another composite instance (an earlier SR, an instance to reject). */
export interface SopInstanceReference {
  /** Defaults to the study of the new object. */
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
}

/** Where the new object goes and when it was made. */
export interface NewInstanceIdentity {
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  /** Content Date/Time (written in UTC with Timezone Offset From UTC +0000). */
  readonly contentDateTime: Date;
}

/**
 * A hierarchical SOP Instance Reference Macro sequence (study → series → instance), in a canonical order,
 * for Current Requested Procedure Evidence and Predecessor Documents.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.2.html
 */
export function hierarchicalReferences(
  references: readonly SopInstanceReference[],
  defaultStudyInstanceUid: string,
): NaturalDataset[] {
  const studies = new Map<string, Map<string, Map<string, string>>>();
  for (const reference of references) {
    const study = requireUid(reference.studyInstanceUid ?? defaultStudyInstanceUid, 'Study Instance UID');
    const series = requireUid(reference.seriesInstanceUid, 'Series Instance UID');
    requireUid(reference.sopClassUid, 'SOP Class UID');
    requireUid(reference.sopInstanceUid, 'SOP Instance UID');
    const seriesMap = studies.get(study) ?? new Map<string, Map<string, string>>();
    studies.set(study, seriesMap);
    const instances = seriesMap.get(series) ?? new Map<string, string>();
    seriesMap.set(series, instances);
    const known = instances.get(reference.sopInstanceUid);
    if (known !== undefined && known !== reference.sopClassUid) {
      throw new FoveaError('FOVEA_SR_INVALID', { detail: 'one SOP Instance UID is given two SOP classes' });
    }
    instances.set(reference.sopInstanceUid, reference.sopClassUid);
  }
  const byKey = <T>(entries: Iterable<[string, T]>): [string, T][] =>
    [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return byKey(studies.entries()).map(([studyInstanceUid, seriesMap]) => ({
    StudyInstanceUID: studyInstanceUid,
    ReferencedSeriesSequence: byKey(seriesMap.entries()).map(([seriesInstanceUid, instances]) => ({
      SeriesInstanceUID: seriesInstanceUid,
      ReferencedSOPSequence: byKey(instances.entries()).map(([sopInstanceUid, sopClassUid]) => ({
        ReferencedSOPClassUID: sopClassUid,
        ReferencedSOPInstanceUID: sopInstanceUid,
      })),
    })),
  }));
}

function positiveInteger(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: `${what} must be a positive integer` });
  }
  return String(value);
}

/**
 * SOP Common, series, General Equipment and the instance identity of a new SR-family object.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.12.html#sect_C.12.1 (SOP Common)
 */
export function newInstanceAttributes(
  sopClassUid: string,
  modality: 'SR' | 'KO',
  identity: NewInstanceIdentity,
  device: DeviceIdentity,
  seriesDescription: string,
): NaturalDataset {
  const when = identity.contentDateTime;
  if (Number.isNaN(when.getTime())) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: 'invalid content date/time' });
  }
  const attributes: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: sopClassUid,
    SOPInstanceUID: requireUid(identity.sopInstanceUid, 'SOP Instance UID'),
    InstanceCreationDate: formatDa(when),
    InstanceCreationTime: formatTm(when),
    TimezoneOffsetFromUTC: '+0000',
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: foveaSchemeIdentification.designator,
        CodingSchemeName: foveaSchemeIdentification.name,
        CodingSchemeResponsibleOrganization: foveaSchemeIdentification.responsibleOrganization,
      },
    ],
    Modality: modality,
    SeriesInstanceUID: requireUid(identity.seriesInstanceUid, 'Series Instance UID'),
    SeriesNumber: positiveInteger(identity.seriesNumber, 'Series Number'),
    SeriesDescription: checkText(seriesDescription, 64, 'SeriesDescription'),
    ReferencedPerformedProcedureStepSequence: [],
    Manufacturer: foveaManufacturer,
    ManufacturerModelName: foveaManufacturer,
    SoftwareVersions: checkText(device.softwareVersion, 64, 'SoftwareVersions'),
    InstanceNumber: positiveInteger(identity.instanceNumber, 'Instance Number'),
    ContentDate: formatDa(when),
    ContentTime: formatTm(when),
  };
  if (device.serialNumber !== undefined && device.serialNumber !== '') {
    attributes.DeviceSerialNumber = checkText(device.serialNumber, 64, 'DeviceSerialNumber');
  }
  if (device.institutionName !== undefined && device.institutionName !== '') {
    attributes.InstitutionName = checkText(device.institutionName, 64, 'InstitutionName');
  }
  return attributes;
}

/** The device observer of one analyzer (TID 1004 values). */
export interface DeviceObserver {
  readonly uid: string;
  readonly name: string;
  readonly manufacturer: string;
  readonly modelName: string;
  readonly serialNumber?: string;
  readonly physicalLocation?: string;
}

/** The device observer Fovea writes for an analyzer: its UID is derived from the installation and analyzer. */
export function deviceObserverFor(device: DeviceIdentity, modelName: string): DeviceObserver {
  requireUid(device.uid, 'device UID');
  return {
    uid: deriveUid('device-observer', device.uid, modelName),
    name: device.name,
    manufacturer: foveaManufacturer,
    modelName,
    ...(device.serialNumber === undefined || device.serialNumber === ''
      ? {}
      : { serialNumber: device.serialNumber }),
    ...(device.physicalLocation === undefined || device.physicalLocation === ''
      ? {}
      : { physicalLocation: device.physicalLocation }),
  };
}

/**
 * Observer Context for a device (TID 1002 with Observer Type Device, then TID 1004 Device Observer
 * Identifying Attributes), all HAS OBS CONTEXT.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_1002
 */
export function deviceObserverContext(observer: DeviceObserver): ContentItem[] {
  const items = [
    codeItem('HAS OBS CONTEXT', codes.observerType, codes.device),
    uidrefItem('HAS OBS CONTEXT', codes.deviceObserverUid, observer.uid),
    textItem('HAS OBS CONTEXT', codes.deviceObserverName, checkText(observer.name, 64, 'device name')),
    textItem('HAS OBS CONTEXT', codes.deviceObserverManufacturer, observer.manufacturer),
    textItem(
      'HAS OBS CONTEXT',
      codes.deviceObserverModelName,
      checkText(observer.modelName, 64, 'model name'),
    ),
  ];
  if (observer.serialNumber !== undefined) {
    items.push(textItem('HAS OBS CONTEXT', codes.deviceObserverSerialNumber, observer.serialNumber));
  }
  if (observer.physicalLocation !== undefined) {
    items.push(textItem('HAS OBS CONTEXT', codes.deviceObserverPhysicalLocation, observer.physicalLocation));
  }
  return items;
}

/** Language of Content Item and Descendants (TID 1204): English. */
export function languageItem(): ContentItem {
  return codeItem('HAS CONCEPT MOD', codes.languageOfContent, codes.english);
}

/** The Content Template Sequence of a root container. */
export function contentTemplate(templateIdentifier: string): NaturalDataset[] {
  return [
    {
      MappingResource: 'DCMR',
      MappingResourceUID: '1.2.840.10008.8.1.1',
      TemplateIdentifier: templateIdentifier,
    },
  ];
}

/** Who verified a final report. */
export interface VerifyingObserver {
  /** PN string (`Family^Given`). */
  readonly name: string;
  readonly organization: string;
  readonly dateTime: Date;
}

/**
 * Preliminary (AI output no clinician has reviewed): PARTIAL, UNVERIFIED, with a statement saying so.
 * Final (signed off by a clinician): COMPLETE, VERIFIED, with the verifying observer.
 */
export type ReportStatus =
  { readonly kind: 'preliminary' } | { readonly kind: 'final'; readonly verifier: VerifyingObserver };

/**
 * The SR Document General attributes that say how final a report is — Completion, Verification and Preliminary
 * flags, the Verifying Observer of a final report — and the Predecessor Documents it replaces.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html
 */
export function reportStatusAttributes(
  status: ReportStatus,
  predecessors: readonly SopInstanceReference[],
  sopInstanceUid: string,
  studyInstanceUid: string,
): NaturalDataset {
  const invalid = (detail: string): FoveaError => new FoveaError('FOVEA_SR_INVALID', { detail });
  const attributes: NaturalDataset = {};
  if (status.kind === 'preliminary') {
    attributes.CompletionFlag = 'PARTIAL';
    attributes.CompletionFlagDescription = 'AI-generated; not reviewed by a clinician';
    attributes.VerificationFlag = 'UNVERIFIED';
    attributes.PreliminaryFlag = 'PRELIMINARY';
  } else {
    const verifier = status.verifier;
    if (verifier.name === '' || verifier.organization === '') {
      throw invalid('a final report needs the verifying observer name and organization');
    }
    attributes.CompletionFlag = 'COMPLETE';
    attributes.VerificationFlag = 'VERIFIED';
    attributes.PreliminaryFlag = 'FINAL';
    attributes.VerifyingObserverSequence = [
      {
        VerifyingObserverName: [{ Alphabetic: checkText(verifier.name, 64, 'VerifyingObserverName') }],
        VerifyingObserverIdentificationCodeSequence: [],
        VerifyingOrganization: checkText(verifier.organization, 64, 'VerifyingOrganization'),
        VerificationDateTime: formatDt(verifier.dateTime),
      },
    ];
  }
  if (predecessors.some((predecessor) => predecessor.sopInstanceUid === sopInstanceUid)) {
    throw invalid('a report cannot be its own predecessor');
  }
  if (predecessors.length > 0) {
    attributes.PredecessorDocumentsSequence = hierarchicalReferences(predecessors, studyInstanceUid);
  }
  return attributes;
}

/** What distinguishes one Fovea report from another; the rest of the SR document is the same for all. */
export interface SrDocumentParts {
  readonly sopClassUid: string;
  readonly identity: NewInstanceIdentity;
  readonly device: DeviceIdentity;
  readonly seriesDescription: string;
  /** Patient and study attributes copied from the source (`patientStudyAttributes`). */
  readonly patientStudy: NaturalDataset;
  readonly studyInstanceUid: string;
  /** The evaluated instances (Current Requested Procedure Evidence). */
  readonly evidence: readonly SopInstanceReference[];
  readonly rootConcept: CodedConcept;
  readonly templateIdentifier: string;
  readonly content: readonly ContentItem[];
  readonly status: ReportStatus;
  readonly predecessors: readonly SopInstanceReference[];
}

/**
 * The data set of an SR document: new-instance attributes, the source's patient and study, SR Document General
 * (evidence, flags, predecessors) and SR Document Content (root container, template, content tree).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.3.html
 */
export function srDocumentDataset(parts: SrDocumentParts): NaturalDataset {
  return {
    ...newInstanceAttributes(parts.sopClassUid, 'SR', parts.identity, parts.device, parts.seriesDescription),
    ...parts.patientStudy,
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: hierarchicalReferences(parts.evidence, parts.studyInstanceUid),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeSequenceItem(parts.rootConcept)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: contentTemplate(parts.templateIdentifier),
    ContentSequence: [...parts.content],
    ...reportStatusAttributes(
      parts.status,
      parts.predecessors,
      parts.identity.sopInstanceUid,
      parts.studyInstanceUid,
    ),
  };
}
