/**
 * A decoded image frame as analyzers see it: native pixel values, colour converted to interleaved RGB.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3 (Image Pixel Module)
 */

/** One decoded frame. */
export interface DecodedFrame {
  readonly rows: number;
  readonly columns: number;
  /** 1 (greyscale) or 3 (RGB, interleaved: R,G,B per pixel). */
  readonly samplesPerPixel: 1 | 3;
  /** 8 or 16; `data` is a Uint8Array or Uint16Array accordingly. */
  readonly bitsAllocated: 8 | 16;
  /** Bits Stored (0028,0101): values lie in [0, 2^bitsStored − 1]; absent means `bitsAllocated`. */
  readonly bitsStored?: number;
  /** `MONOCHROME2` or `RGB` after decoding (YBR and MONOCHROME1 are converted). */
  readonly photometricInterpretation: 'MONOCHROME2' | 'RGB';
  readonly data: Uint8Array | Uint16Array;
  /** Pixel Spacing (row spacing, column spacing) in mm, when the instance gives one. */
  readonly pixelSpacing?: readonly [number, number];
}
