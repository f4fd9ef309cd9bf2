/**
 * Heidelberg `.vol` → DICOM: the B-scans become one Ophthalmic Tomography Image (multi-frame, 8-bit display
 * values, pixel spacing and B-scan positions from the header, each frame registered to the SLO), the SLO
 * becomes an Ophthalmic Photography 8 Bit Image. Identifiers come from the header; every UID is derived from
 * the file (the same file always gives the same objects). The writers are the ones Fovea Synth uses for its
 * phantoms, so imported and synthetic OCT share one tested, dciodvfy-clean shape.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.52 (OPT Image IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.41 (OP 8 Bit Image IOD)
 * @see ../shared/data/README.md (`.vol` layout facts)
 */
import { createHash } from 'node:crypto';
import type { NaturalDataset } from 'dcmjs';
import { uidFromName } from '../core/uid.ts';
import { parseVol, VolFormatError, type VolFile } from '../dicom/vendor/heidelberg-vol.ts';
import { buildOphthalmicPhotographDataset, ophthalmicPhotography8BitSopClassUid } from '../synth/dicom-op.ts';
import {
  buildOphthalmicTomographyDataset,
  ophthalmicTomographySopClassUid,
  type FrameLocation,
} from '../synth/dicom-opt.ts';
import { codes, type ObjectIdentity, type SynthDevice } from '../synth/dicom-modules.ts';
import { ds, transferSyntaxUids, writePart10 } from '../synth/dicom-part10.ts';

/** One DICOM object made from a `.vol` file. */
export interface ConvertedObject {
  readonly kind: 'oct' | 'slo';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  /** `OPT-<eye>-<SOPInstanceUID>.dcm` or `OP-<eye>-…`. */
  readonly fileName: string;
  readonly part10: Buffer;
}

/** What {@link convertVol} makes: the OCT and, when the file has a non-blank SLO, the SLO. */
export interface ConvertedVol {
  readonly vol: VolFile;
  readonly oct: ConvertedObject;
  readonly slo?: ConvertedObject;
}

/** Heidelberg's nominal Spectralis figures (the `.vol` header does not carry them). */
const spectralis: SynthDevice = {
  manufacturer: 'Heidelberg Engineering',
  manufacturerModelName: 'Spectralis',
  // Enhanced General Equipment needs a serial number (Type 1); the export does not say which device.
  deviceSerialNumber: 'UNKNOWN',
  softwareVersions: '',
  stationName: '',
  institutionName: '',
};

const oleEpochMs = Date.UTC(1899, 11, 30);

function oleToDate(ole: number): Date {
  return new Date(oleEpochMs + Math.round(ole * 86_400_000));
}

function dicomDate(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}`;
}

function dicomTime(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/** Age string (nnnY) at a date, from a birth date. */
function ageAt(birth: Date, at: Date): string {
  let years = at.getUTCFullYear() - birth.getUTCFullYear();
  if (
    at.getUTCMonth() < birth.getUTCMonth() ||
    (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate())
  ) {
    years--;
  }
  return `${String(Math.min(999, Math.max(0, years))).padStart(3, '0')}Y`;
}

/** The B-scan order the analyzers assume: superior (smaller SLO y) first. The device may store either. */
function frameOrder(vol: VolFile): number[] {
  const order = vol.bScans.map((_, index) => index);
  const first = vol.bScans[0]!;
  const last = vol.bScans.at(-1)!;
  const firstY = (first.startYMm + first.endYMm) / 2;
  const lastY = (last.startYMm + last.endYMm) / 2;
  return firstY > lastY ? order.reverse() : order;
}

/** The scan direction shared by every B-scan (unit vector on the SLO, x right, y down). */
function scanDirection(vol: VolFile): readonly [number, number] {
  let direction: [number, number] | undefined;
  for (const [index, bScan] of vol.bScans.entries()) {
    const dx = bScan.endXMm - bScan.startXMm;
    const dy = bScan.endYMm - bScan.startYMm;
    const length = Math.hypot(dx, dy);
    if (!(length > 0)) {
      throw new VolFormatError(
        `B-scan ${index} starts where it ends (a circle scan): only line scans and raster volumes are converted`,
      );
    }
    const unit: [number, number] = [dx / length, dy / length];
    if (direction === undefined) {
      direction = unit;
    } else if (Math.hypot(unit[0] - direction[0], unit[1] - direction[1]) > 1e-3) {
      throw new VolFormatError(
        'the B-scans run in different directions (a radial or star pattern): only parallel B-scans are converted',
      );
    }
  }
  return direction!;
}

function isBlank(pixels: Uint8Array): boolean {
  for (const value of pixels) {
    if (value !== 0) {
      return false;
    }
  }
  return true;
}

/**
 * Converts a Heidelberg `.vol` file into DICOM (uncompressed, explicit VR little endian).
 *
 * - OPT: frames superior → inferior (reversed when the device stored them the other way), 8-bit display
 *   values (fourth root of the linear intensity), Pixel Spacing = ScaleZ \ ScaleX, Spacing Between Slices =
 *   Distance (or the B-scans' spacing on the SLO when Distance is 0), Image Position (Patient) of each frame from
 *   the B-scan's start on the SLO (mm from the SLO centre: x right, z superior, y depth), and each frame's line
 *   on the SLO (Ophthalmic Frame Location, row/column pairs in SLO pixels).
 * - OP: the SLO, Pixel Spacing = ScaleYSlo \ ScaleXSlo, Horizontal Field of View = FieldSizeSlo.
 * - Patient ID = PatientID (else PID), birth date = DOB, Study Date/Time = ExamTime (UTC; else VisitDate); name
 *   and sex are not in a `.vol` and are left empty. The Study Instance UID is derived from the visit (PID, VID,
 *   VisitID, VisitDate), so scans of one visit exported as several files land in one study; series, instance and
 *   frame-of-reference UIDs from the file's SHA-256.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.7 (OPT Image)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.8 (Ophthalmic Frame Location)
 */
export function convertVol(bytes: Uint8Array): ConvertedVol {
  const vol = parseVol(bytes);
  const { header } = vol;
  if (vol.eye === undefined) {
    throw new VolFormatError(`ScanPosition '${header.scanPosition}' is neither OD nor OS`);
  }
  const eye = vol.eye;
  const examDate =
    header.examTime ?? (header.visitDateOle === undefined ? undefined : oleToDate(header.visitDateOle));
  if (examDate === undefined) {
    throw new VolFormatError('the header has neither an exam time nor a visit date');
  }
  const fileKey = createHash('sha256').update(bytes).digest('hex');
  const uid = (label: string): string => uidFromName(`fovea-vol:${fileKey}:${label}`);
  const hasVisit = header.vid !== 0 || header.visitId !== '';
  const studyInstanceUid = hasVisit
    ? uidFromName(
        `fovea-vol-study:${header.patientId}|${header.pid}|${header.vid}|${header.visitId}|${String(header.visitDateOle ?? '')}`,
      )
    : uid('study');
  const studyDate = dicomDate(examDate);
  const studyTime = dicomTime(examDate);
  const side = eye === 'R' ? 'OD' : 'OS';
  const frames = vol.bScans.length;
  const scanLabel = frames === 1 ? `OCT line scan ${side}` : `OCT volume ${frames}x${header.sizeX} ${side}`;
  const patient = {
    patientId: header.patientId !== '' ? header.patientId : String(header.pid),
    issuerOfPatientId: '',
    patientName: '',
    // The shared modules compute an age from the birth date; without one it is blanked below.
    birthDate: header.dateOfBirthOle === undefined ? studyDate : dicomDate(oleToDate(header.dateOfBirthOle)),
    sex: 'O' as 'F' | 'M',
    anatomySeed: '',
  };
  const study = {
    studyInstanceUid,
    studyDate,
    studyTime,
    accessionNumber: '',
    studyId: header.vid !== 0 ? String(header.vid).slice(0, 16) : '',
    studyDescription: 'OCT (Heidelberg .vol import)',
  };
  const device: SynthDevice = { ...spectralis, softwareVersions: header.version };
  const identityFields = (dataset: NaturalDataset): NaturalDataset => {
    dataset.PatientName = '';
    dataset.PatientSex = '';
    delete dataset.IssuerOfPatientID;
    delete dataset.InstitutionName;
    delete dataset.StationName;
    if (header.dateOfBirthOle === undefined) {
      dataset.PatientBirthDate = '';
      delete dataset.PatientAge;
    } else {
      dataset.PatientAge = ageAt(oleToDate(header.dateOfBirthOle), examDate);
    }
    return dataset;
  };
  const frameOfReferenceUid = uid('frame-of-reference');
  const sloPresent = !isBlank(vol.slo);
  const sloUid = uid('slo');
  const octUid = uid('oct');
  const octSeriesUid = uid('oct-series');
  const sloSeriesUid = uid('slo-series');

  const order = frameOrder(vol);
  const [ux, uy] = scanDirection(vol);
  const sloWidthMm = header.sizeXSlo * header.scaleXSloMm;
  const sloHeightMm = header.sizeYSlo * header.scaleYSloMm;
  const pixelsPerFrame = header.sizeX * header.sizeZ;
  const voxels = new Uint8Array(frames * pixelsPerFrame);
  const framePositions: [number, number, number][] = [];
  const locations: FrameLocation[] = [];
  for (const [frame, index] of order.entries()) {
    const bScan = vol.bScans[index]!;
    voxels.set(bScan.display, frame * pixelsPerFrame);
    framePositions.push([bScan.startXMm - sloWidthMm / 2, 0, sloHeightMm / 2 - bScan.startYMm]);
    locations.push({
      coordinates: [
        bScan.startYMm / header.scaleYSloMm,
        bScan.startXMm / header.scaleXSloMm,
        bScan.endYMm / header.scaleYSloMm,
        bScan.endXMm / header.scaleXSloMm,
      ],
    });
  }
  let frameSpacingMm = 0;
  if (frames > 1) {
    const first = framePositions[0]!;
    const last = framePositions.at(-1)!;
    const measured = Math.hypot(last[0] - first[0], last[2] - first[2]) / (frames - 1);
    frameSpacingMm = header.distanceMm > 0 ? header.distanceMm : measured;
  }
  const octIdentity: ObjectIdentity = {
    patient,
    study,
    series: { seriesInstanceUid: octSeriesUid, seriesNumber: 1, seriesDescription: scanLabel },
    sopClassUid: ophthalmicTomographySopClassUid,
    sopInstanceUid: octUid,
    instanceNumber: 1,
    eye,
  };
  const octDataset = identityFields(
    buildOphthalmicTomographyDataset({
      identity: octIdentity,
      device,
      frames,
      rows: header.sizeZ,
      columns: header.sizeX,
      voxels,
      axialSpacingMm: header.scaleZMm,
      lateralSpacingMm: header.scaleXMm,
      frameSpacingMm,
      framePositions,
      orientation: [ux, 0, -uy, 0, 1, 0],
      frameOfReferenceUid,
      reference: { sopInstanceUid: sloUid, locations, orientation: 'LINEAR' },
      transferSyntax: 'explicit-le',
      protocolName: scanLabel,
      anatomicStructure: codes.retina,
    }),
  );
  if (!sloPresent) {
    for (const item of octDataset.PerFrameFunctionalGroupsSequence as NaturalDataset[]) {
      delete item.OphthalmicFrameLocationSequence;
    }
  }
  const oct: ConvertedObject = {
    kind: 'oct',
    sopClassUid: ophthalmicTomographySopClassUid,
    sopInstanceUid: octUid,
    seriesInstanceUid: octSeriesUid,
    studyInstanceUid,
    fileName: `OPT-${eye}-${octUid}.dcm`,
    part10: writePart10(octDataset, transferSyntaxUids['explicit-le'], { kind: 'native', bytes: voxels }),
  };
  if (!sloPresent) {
    return { vol, oct };
  }
  const sloDataset = identityFields(
    buildOphthalmicPhotographDataset({
      identity: {
        ...octIdentity,
        series: { seriesInstanceUid: sloSeriesUid, seriesNumber: 2, seriesDescription: `IR SLO ${side}` },
        sopClassUid: ophthalmicPhotography8BitSopClassUid,
        sopInstanceUid: sloUid,
      },
      image: { width: header.sizeXSlo, height: header.sizeYSlo, samplesPerPixel: 1, pixels: vol.slo },
      device,
      deviceType: codes.scanningLaserOphthalmoscope,
      horizontalFieldOfViewDeg: header.fieldSizeSloDeg,
      pixelSpacingMm: header.scaleXSloMm,
      synchronizationFrameOfReferenceUid: frameOfReferenceUid,
      transferSyntax: 'explicit-le',
    }),
  );
  sloDataset.PixelSpacing = [ds(header.scaleYSloMm), ds(header.scaleXSloMm)];
  const slo: ConvertedObject = {
    kind: 'slo',
    sopClassUid: ophthalmicPhotography8BitSopClassUid,
    sopInstanceUid: sloUid,
    seriesInstanceUid: sloSeriesUid,
    studyInstanceUid,
    fileName: `OP-${eye}-${sloUid}.dcm`,
    part10: writePart10(sloDataset, transferSyntaxUids['explicit-le'], { kind: 'native', bytes: vol.slo }),
  };
  return { vol, oct, slo };
}

/** Whether bytes start like a Heidelberg `.vol` file (the `HSF-OCT-` version string). */
export function looksLikeVol(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'HSF-OCT-';
}
