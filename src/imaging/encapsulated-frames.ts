/**
 * Frames of encapsulated (compressed) pixel data. A reader gives items that are frames when the Basic Offset
 * Table was filled, and fragments when it was empty; this module groups fragments into frames using the
 * Extended Offset Table when there is one, else the codestream start markers.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_A.4 (encapsulation)
 */
import { FoveaError } from '../core/errors.ts';

const rleLossless = '1.2.840.10008.1.2.5';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) {
    return parts[0]!;
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Whether a fragment starts a codestream: JPEG SOI, JPEG 2000 SOC+SIZ, or a JP2 signature box. */
function startsCodestream(fragment: Uint8Array): boolean {
  const [b0, b1, b2, b3] = fragment;
  if (b0 === 0xff && b1 === 0xd8) {
    return true;
  }
  if (b0 === 0xff && b1 === 0x4f && b2 === 0xff && b3 === 0x51) {
    return true;
  }
  return b0 === 0x00 && b1 === 0x00 && b2 === 0x00 && b3 === 0x0c && fragment[4] === 0x6a;
}

function groupByOffsets(
  fragments: readonly Uint8Array[],
  offsets: readonly number[],
): Uint8Array[] | undefined {
  const starts = new Map<number, number>();
  let position = 0;
  fragments.forEach((fragment, index) => {
    starts.set(position, index);
    // Each item has an 8-byte header; item values have even length on the wire.
    position += 8 + fragment.length + (fragment.length % 2);
  });
  const firstFragments = offsets.map((offset) => starts.get(offset));
  if (firstFragments.some((index) => index === undefined)) {
    return undefined;
  }
  return firstFragments.map((start, frame) =>
    concat(fragments.slice(start, firstFragments[frame + 1] ?? fragments.length)),
  );
}

function groupByMarkers(fragments: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[][] = [];
  for (const fragment of fragments) {
    if (frames.length === 0 || startsCodestream(fragment)) {
      frames.push([fragment]);
    } else {
      frames[frames.length - 1]!.push(fragment);
    }
  }
  return frames.map(concat);
}

/**
 * The compressed bitstream of frame `frameIndex`; throws FOVEA_IMAGING_DECODE_FAILED when the items cannot be
 * mapped to frames.
 */
export function encapsulatedFrame(
  items: readonly Uint8Array[],
  numberOfFrames: number,
  frameIndex: number,
  transferSyntaxUid: string,
  extendedOffsets?: readonly number[],
): Uint8Array {
  let frames: readonly Uint8Array[] | undefined;
  if (numberOfFrames === 1) {
    frames = [concat(items)];
  } else if (items.length === numberOfFrames || transferSyntaxUid === rleLossless) {
    // RLE requires exactly one fragment per frame (PS3.5 A.4.2).
    frames = items;
  } else if (extendedOffsets !== undefined && extendedOffsets.length === numberOfFrames) {
    frames = groupByOffsets(items, extendedOffsets);
  }
  frames ??= groupByMarkers(items);
  const frame = frames[frameIndex];
  if (frames.length !== numberOfFrames || frame === undefined || frame.length === 0) {
    throw new FoveaError('FOVEA_IMAGING_DECODE_FAILED', {
      detail: `encapsulated pixel data has ${frames.length} frame(s) for Number of Frames ${numberOfFrames}`,
    });
  }
  return frame;
}
