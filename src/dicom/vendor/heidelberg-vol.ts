/**
 * Reader of Heidelberg Engineering `.vol` exports (Spectralis "HSF-OCT-1xx"): the file header, the SLO
 * image, and per B-scan its header, the device's layer boundaries and the float32 intensities, converted
 * to 8-bit display values the way Heidelberg displays them (fourth root of the linear intensity).
 * Pure: it parses bytes, it does no I/O.
 * @see https://github.com/jaburke166/OCTolyzer (demo data; `.vol` layout as described in ../shared/data/README.md)
 */

/** Values at or above this in a `.vol` float array mean "no value" (FLT_MAX). */
export const volMissingValue = 3.4e38;

/** Size of the `.vol` file header in bytes. */
export const volFileHeaderSize = 2048;

/** The `.vol` file header (the fields the format notes describe). */
export interface VolHeader {
  /** Format version, e.g. `HSF-OCT-103`. */
  readonly version: string;
  /** A-scans per B-scan. */
  readonly sizeX: number;
  readonly numBScans: number;
  /** Samples per A-scan. */
  readonly sizeZ: number;
  /** Lateral spacing between A-scans (mm). */
  readonly scaleXMm: number;
  /** Distance between B-scans (mm; 0 for a single line). */
  readonly distanceMm: number;
  /** Axial spacing between samples (mm). */
  readonly scaleZMm: number;
  readonly sizeXSlo: number;
  readonly sizeYSlo: number;
  readonly scaleXSloMm: number;
  readonly scaleYSloMm: number;
  /** SLO field of view (degrees). */
  readonly fieldSizeSloDeg: number;
  /** Focus (dioptres). */
  readonly scanFocusDpt: number;
  /** `OD` (right eye) or `OS` (left eye) as written by the device. */
  readonly scanPosition: string;
  /** Acquisition time (from the Windows FILETIME in the header), when it is valid. */
  readonly examTime?: Date;
  readonly scanPattern: number;
  readonly bScanHeaderSize: number;
  readonly id: string;
  readonly referenceId: string;
  readonly pid: number;
  readonly patientId: string;
  /** Date of birth, as days since 1899-12-30 (the OLE date the device writes); undefined when 0. */
  readonly dateOfBirthOle?: number;
  readonly vid: number;
  readonly visitId: string;
  /** Visit date as an OLE date (days since 1899-12-30). */
  readonly visitDateOle?: number;
  readonly gridType: number;
  readonly gridOffset: number;
}

/** One B-scan: its header, the device's boundaries and the intensities. */
export interface VolBScan {
  readonly version: string;
  /** Start and end of the scan line on the SLO image (mm). */
  readonly startXMm: number;
  readonly startYMm: number;
  readonly endXMm: number;
  readonly endYMm: number;
  /** Number of boundary lines the device stored. */
  readonly numSeg: number;
  /** Image quality the device computed (dB-like). */
  readonly quality: number;
  readonly shift: number;
  /**
   * The device's boundaries, `numSeg` lines of `sizeX` rows each (NaN where the device has none). Line 0 is
   * the ILM, line 1 Bruch's membrane (the outer RPE/BM boundary), line 2 the outer RNFL boundary, when present.
   */
  readonly boundaries: readonly Float32Array[];
  /** Linear intensities, row-major (`sizeZ` rows of `sizeX`), NaN where the device wrote no value. */
  readonly intensities: Float32Array;
  /** 8-bit display values, row-major, as {@link toDisplay} computes them. */
  readonly display: Uint8Array;
}

/** A parsed `.vol` file. */
export interface VolFile {
  readonly header: VolHeader;
  /** The SLO (infrared fundus) image, row-major, `sizeYSlo` rows of `sizeXSlo` bytes. */
  readonly slo: Uint8Array;
  readonly bScans: readonly VolBScan[];
  /** The eye from `scanPosition`: `R` for OD, `L` for OS, undefined otherwise. */
  readonly eye?: 'R' | 'L';
}

/** The reason a buffer is not a readable `.vol` file. */
export class VolFormatError extends Error {
  override readonly name = 'VolFormatError';
}

function text(bytes: Uint8Array, offset: number, length: number): string {
  const slice = bytes.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return new TextDecoder('latin1').decode(end === -1 ? slice : slice.subarray(0, end)).trim();
}

function fileTimeToDate(view: DataView, offset: number): Date | undefined {
  const ticks = view.getBigInt64(offset, true);
  if (ticks <= 0n) {
    return undefined;
  }
  // FILETIME: 100-ns ticks since 1601-01-01 UTC; 11644473600 s separate it from the Unix epoch.
  const ms = Number(ticks / 10_000n) - 11_644_473_600_000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function oleDate(view: DataView, offset: number): number | undefined {
  const value = view.getFloat64(offset, true);
  return Number.isFinite(value) && value !== 0 ? value : undefined;
}

/**
 * Parses the 2048-byte file header.
 * @see ../shared/data/README.md (`.vol` layout facts)
 */
export function parseVolHeader(bytes: Uint8Array): VolHeader {
  if (bytes.length < volFileHeaderSize) {
    throw new VolFormatError(`a .vol file has a ${volFileHeaderSize}-byte header; got ${bytes.length} bytes`);
  }
  const version = text(bytes, 0, 12);
  if (!version.startsWith('HSF-OCT-')) {
    throw new VolFormatError(`not a Heidelberg .vol file (version string '${version.slice(0, 12)}')`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int = (offset: number): number => view.getInt32(offset, true);
  const dbl = (offset: number): number => view.getFloat64(offset, true);
  const examTime = fileTimeToDate(view, 88);
  const dateOfBirthOle = oleDate(view, 164);
  const visitDateOle = oleDate(view, 200);
  return {
    version,
    sizeX: int(12),
    numBScans: int(16),
    sizeZ: int(20),
    scaleXMm: dbl(24),
    distanceMm: dbl(32),
    scaleZMm: dbl(40),
    sizeXSlo: int(48),
    sizeYSlo: int(52),
    scaleXSloMm: dbl(56),
    scaleYSloMm: dbl(64),
    fieldSizeSloDeg: int(72),
    scanFocusDpt: dbl(76),
    scanPosition: text(bytes, 84, 4),
    ...(examTime === undefined ? {} : { examTime }),
    scanPattern: int(96),
    bScanHeaderSize: int(100),
    id: text(bytes, 104, 16),
    referenceId: text(bytes, 120, 16),
    pid: int(136),
    patientId: text(bytes, 140, 21),
    ...(dateOfBirthOle === undefined ? {} : { dateOfBirthOle }),
    vid: int(172),
    visitId: text(bytes, 176, 24),
    ...(visitDateOle === undefined ? {} : { visitDateOle }),
    gridType: int(208),
    gridOffset: int(212),
  };
}

/** One linear intensity as an 8-bit display value. */
function displayValue(value: number): number {
  if (!(value >= 0) || value >= volMissingValue) {
    return 0;
  }
  const display = 255 * Math.sqrt(Math.sqrt(value));
  return display >= 255 ? 255 : Math.round(display);
}

/**
 * Converts linear `.vol` intensities (nominally in [0, 1]) to 8-bit display values as Heidelberg's viewer
 * does: 255 · value^0.25, with NaN, negative and missing values (≥ 3.4e38) shown as 0 and values above 1
 * clipped to 255.
 */
export function toDisplay(intensities: Float32Array): Uint8Array {
  const out = new Uint8Array(intensities.length);
  for (let i = 0; i < intensities.length; i++) {
    out[i] = displayValue(intensities[i]!);
  }
  return out;
}

function readFloats(view: DataView, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = view.getFloat32(offset + 4 * i, true);
  }
  return out;
}

function checkGeometry(header: VolHeader, length: number): void {
  const positive = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new VolFormatError(`${name} must be an integer in [1, ${max}], got ${value}`);
    }
  };
  positive('SizeX', header.sizeX, 16_384);
  positive('SizeZ', header.sizeZ, 16_384);
  positive('NumBScans', header.numBScans, 4096);
  positive('SizeXSlo', header.sizeXSlo, 16_384);
  positive('SizeYSlo', header.sizeYSlo, 16_384);
  positive('BScanHdrSize', header.bScanHeaderSize, 1 << 24);
  const needed =
    volFileHeaderSize +
    header.sizeXSlo * header.sizeYSlo +
    header.numBScans * (header.bScanHeaderSize + 4 * header.sizeX * header.sizeZ);
  if (length < needed) {
    throw new VolFormatError(`the file is truncated: ${length} bytes, the header describes ${needed}`);
  }
}

/**
 * Parses a whole `.vol` file: header, SLO image, and every B-scan with its boundaries, linear intensities
 * and 8-bit display values.
 * @see ../shared/data/README.md (`.vol` layout facts)
 */
export function parseVol(bytes: Uint8Array): VolFile {
  const header = parseVolHeader(bytes);
  checkGeometry(header, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sloStart = volFileHeaderSize;
  const slo = bytes.slice(sloStart, sloStart + header.sizeXSlo * header.sizeYSlo);
  const bScans: VolBScan[] = [];
  const pixels = header.sizeX * header.sizeZ;
  let offset = sloStart + slo.length;
  for (let b = 0; b < header.numBScans; b++) {
    const version = text(bytes, offset, 12);
    if (!version.startsWith('HSF-BS-')) {
      throw new VolFormatError(`B-scan ${b}: header version string '${version}' is not HSF-BS-…`);
    }
    const numSeg = view.getInt32(offset + 48, true);
    const offSeg = view.getInt32(offset + 52, true);
    if (numSeg < 0 || offSeg < 0 || offSeg + 4 * numSeg * header.sizeX > header.bScanHeaderSize) {
      throw new VolFormatError(`B-scan ${b}: ${numSeg} boundary lines at ${offSeg} overflow the header`);
    }
    const boundaries: Float32Array[] = [];
    for (let s = 0; s < numSeg; s++) {
      const line = readFloats(view, offset + offSeg + 4 * s * header.sizeX, header.sizeX);
      for (let i = 0; i < line.length; i++) {
        if (!(line[i]! < volMissingValue)) {
          line[i] = Number.NaN;
        }
      }
      boundaries.push(line);
    }
    const dataStart = offset + header.bScanHeaderSize;
    const intensities = readFloats(view, dataStart, pixels);
    const display = toDisplay(intensities);
    for (let i = 0; i < intensities.length; i++) {
      if (!(intensities[i]! < volMissingValue)) {
        intensities[i] = Number.NaN;
      }
    }
    bScans.push({
      version,
      startXMm: view.getFloat64(offset + 16, true),
      startYMm: view.getFloat64(offset + 24, true),
      endXMm: view.getFloat64(offset + 32, true),
      endYMm: view.getFloat64(offset + 40, true),
      numSeg,
      quality: view.getFloat32(offset + 56, true),
      shift: view.getInt32(offset + 60, true),
      boundaries,
      intensities,
      display,
    });
    offset = dataStart + 4 * pixels;
  }
  const position = header.scanPosition.toUpperCase();
  const eye = position === 'OD' ? 'R' : position === 'OS' ? 'L' : undefined;
  return { header, slo, bScans, ...(eye === undefined ? {} : { eye }) };
}
