/**
 * Writes a Heidelberg `.vol` file (the layout in src/dicom/vendor/README.md) from 8-bit display B-scans, so the
 * import and analysis of multi-B-scan volumes can be tested on synthetic phantoms with known truth (the only real
 * `.vol` here is a line scan). Display values are stored as linear intensities (d/255)⁴, which the reader's fourth
 * root turns back into the same bytes.
 */

/** One B-scan to write: its line on the SLO (mm) and its display values (rows × columns). */
export interface VolBScanInput {
  readonly startXMm: number;
  readonly startYMm: number;
  readonly endXMm: number;
  readonly endYMm: number;
  readonly display: Uint8Array;
}

/** What {@link writeVol} writes. */
export interface VolInput {
  readonly sizeX: number;
  readonly sizeZ: number;
  readonly scaleXMm: number;
  readonly scaleZMm: number;
  readonly distanceMm: number;
  readonly slo: { readonly size: number; readonly scaleMm: number; readonly pixels: Uint8Array };
  readonly scanPosition: 'OD' | 'OS';
  readonly examTime: Date;
  readonly patientId: string;
  readonly dateOfBirthOle: number;
  readonly pid: number;
  readonly vid: number;
  readonly bScans: readonly VolBScanInput[];
}

const headerSize = 2048;
const bScanHeaderSize = 256;

/** Builds the bytes of a `.vol` file (no device boundary lines). */
export function writeVol(input: VolInput): Uint8Array {
  const pixels = input.sizeX * input.sizeZ;
  const sloBytes = input.slo.size * input.slo.size;
  const total = headerSize + sloBytes + input.bScans.length * (bScanHeaderSize + 4 * pixels);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, value: string): void => {
    bytes.set(new TextEncoder().encode(value), offset);
  };
  text(0, 'HSF-OCT-103');
  view.setInt32(12, input.sizeX, true);
  view.setInt32(16, input.bScans.length, true);
  view.setInt32(20, input.sizeZ, true);
  view.setFloat64(24, input.scaleXMm, true);
  view.setFloat64(32, input.distanceMm, true);
  view.setFloat64(40, input.scaleZMm, true);
  view.setInt32(48, input.slo.size, true);
  view.setInt32(52, input.slo.size, true);
  view.setFloat64(56, input.slo.scaleMm, true);
  view.setFloat64(64, input.slo.scaleMm, true);
  view.setInt32(72, 30, true);
  view.setFloat64(76, 0, true);
  text(84, input.scanPosition);
  view.setBigInt64(88, (BigInt(input.examTime.getTime()) + 11_644_473_600_000n) * 10_000n, true);
  view.setInt32(96, 3, true);
  view.setInt32(100, bScanHeaderSize, true);
  text(104, 'EXAM1');
  view.setInt32(136, input.pid, true);
  text(140, input.patientId);
  view.setFloat64(164, input.dateOfBirthOle, true);
  view.setInt32(172, input.vid, true);
  view.setFloat64(200, 45_000.5, true);
  bytes.set(input.slo.pixels, headerSize);
  let offset = headerSize + sloBytes;
  for (const bScan of input.bScans) {
    text(offset, 'HSF-BS-103');
    view.setInt32(offset + 12, bScanHeaderSize, true);
    view.setFloat64(offset + 16, bScan.startXMm, true);
    view.setFloat64(offset + 24, bScan.startYMm, true);
    view.setFloat64(offset + 32, bScan.endXMm, true);
    view.setFloat64(offset + 40, bScan.endYMm, true);
    view.setInt32(offset + 48, 0, true);
    view.setInt32(offset + 52, 100, true);
    view.setFloat32(offset + 56, 30, true);
    const data = offset + bScanHeaderSize;
    for (let i = 0; i < pixels; i++) {
      view.setFloat32(data + 4 * i, (bScan.display[i]! / 255) ** 4, true);
    }
    offset = data + 4 * pixels;
  }
  return bytes;
}
