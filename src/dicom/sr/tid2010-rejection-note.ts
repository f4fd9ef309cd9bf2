/**
 * The rejection note: a Key Object Selection Document (TID 2010) titled with a CID 7010 rejection reason
 * that references earlier Fovea objects, so that a PACS supporting IHE Imaging Object Change Management
 * (IOCM) hides or removes them. It goes into the same study as the objects it rejects.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_2010
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_7010.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.35.4.html (KOS IOD)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { CodedConcept } from '../../core/finding.ts';
import { codes } from './codes.ts';
import { codeSequenceItem, compositeItem, textItem } from './content-items.ts';
import type { ContentItem } from './content-items.ts';
import {
  contentTemplate,
  deviceObserverContext,
  deviceObserverFor,
  foveaManufacturer,
  hierarchicalReferences,
  languageItem,
  newInstanceAttributes,
} from './document.ts';
import type { DeviceIdentity, NewInstanceIdentity, SopInstanceReference } from './document.ts';
import { writeSrPart10 } from './part10.ts';
import { patientStudyAttributes } from './source-study.ts';
import type { SourceStudyContext } from './source-study.ts';

/** Key Object Selection Document Storage. */
export const keyObjectSelectionSopClassUid = '1.2.840.10008.5.1.4.1.1.88.59';

/** Why objects are rejected; each maps to its CID 7010 document title. */
export type RejectionReason = 'quality' | 'patient-safety' | 'incorrect-worklist-entry' | 'retention-expired';

/** The KOS document title of each rejection reason. */
export const rejectionTitles: Readonly<Record<RejectionReason, CodedConcept>> = {
  quality: codes.rejectedForQualityReasons,
  'patient-safety': codes.rejectedForPatientSafetyReasons,
  'incorrect-worklist-entry': codes.incorrectModalityWorklistEntry,
  'retention-expired': codes.dataRetentionPolicyExpired,
};

/** What a rejection note is built from. */
export interface RejectionNoteInput extends NewInstanceIdentity {
  readonly study: SourceStudyContext;
  /** The objects to hide (typically an earlier SR); all in `study`. */
  readonly rejected: readonly SopInstanceReference[];
  readonly reason: RejectionReason;
  readonly device: DeviceIdentity;
  /** Key Object Description (TEXT), e.g. why the report was withdrawn. */
  readonly description?: string;
  /** Default "AI results (Fovea) — rejection note". */
  readonly seriesDescription?: string;
}

/**
 * Builds an IOCM rejection note: a Part 10 Key Object Selection Document (Explicit VR Little Endian) whose
 * title gives the rejection reason and whose content references each rejected object (COMPOSITE items, also
 * listed in the Current Requested Procedure Evidence Sequence). Deterministic for the same input.
 * @throws FoveaError `FOVEA_SR_INVALID` when the input cannot make a conformant document.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_2010
 */
export function buildRejectionNote(input: RejectionNoteInput): Uint8Array {
  if (input.rejected.length === 0) {
    throw new FoveaError('FOVEA_SR_INVALID', {
      detail: 'a rejection note must reference at least one object',
    });
  }
  const studyInstanceUid = input.study.studyInstanceUid;
  if (
    input.rejected.some((reference) => (reference.studyInstanceUid ?? studyInstanceUid) !== studyInstanceUid)
  ) {
    throw new FoveaError('FOVEA_SR_INVALID', {
      detail: 'a rejection note only references objects of its own study',
    });
  }
  if (input.rejected.some((reference) => reference.sopInstanceUid === input.sopInstanceUid)) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: 'a rejection note cannot reject itself' });
  }
  const title = rejectionTitles[input.reason] as CodedConcept | undefined;
  if (title === undefined) {
    throw new FoveaError('FOVEA_SR_INVALID', {
      detail: `unknown rejection reason ${JSON.stringify(input.reason)}`,
    });
  }
  const evidence = hierarchicalReferences(input.rejected, studyInstanceUid);
  const references = [...input.rejected]
    .sort((a, b) => (a.sopInstanceUid < b.sopInstanceUid ? -1 : a.sopInstanceUid > b.sopInstanceUid ? 1 : 0))
    .filter(
      (reference, index, all) => index === 0 || all[index - 1]?.sopInstanceUid !== reference.sopInstanceUid,
    );
  const content: ContentItem[] = [
    languageItem(),
    ...deviceObserverContext(deviceObserverFor(input.device, foveaManufacturer)),
  ];
  if (input.description !== undefined && input.description !== '') {
    content.push(textItem('CONTAINS', codes.keyObjectDescription, input.description));
  }
  content.push(
    ...references.map((reference) =>
      compositeItem('CONTAINS', {
        sopClassUid: reference.sopClassUid,
        sopInstanceUid: reference.sopInstanceUid,
      }),
    ),
  );
  const dataset: NaturalDataset = {
    ...newInstanceAttributes(
      keyObjectSelectionSopClassUid,
      'KO',
      input,
      input.device,
      input.seriesDescription ?? 'AI results (Fovea) — rejection note',
    ),
    ...patientStudyAttributes(input.study),
    CurrentRequestedProcedureEvidenceSequence: evidence,
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeSequenceItem(title)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: contentTemplate('2010'),
    ContentSequence: content,
  };
  return writeSrPart10(dataset);
}
