/**
 * Transfer syntaxes Fovea accepts and how each encodes a data set.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_10
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part06.html#chapter_A
 */

/** How a transfer syntax encodes the data set around the pixel data. */
export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  readonly explicitVr: boolean;
  /** The data set is a raw deflate stream (PS3.5 §A.5). */
  readonly deflated: boolean;
  /** Pixel data is encapsulated (compressed, undefined length with fragments). */
  readonly encapsulated: boolean;
}

/** UIDs of the transfer syntaxes Fovea negotiates. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

const infos: readonly TransferSyntaxInfo[] = [
  {
    uid: TransferSyntax.ImplicitVRLittleEndian,
    name: 'Implicit VR Little Endian',
    explicitVr: false,
    deflated: false,
    encapsulated: false,
  },
  {
    uid: TransferSyntax.ExplicitVRLittleEndian,
    name: 'Explicit VR Little Endian',
    explicitVr: true,
    deflated: false,
    encapsulated: false,
  },
  {
    uid: TransferSyntax.DeflatedExplicitVRLittleEndian,
    name: 'Deflated Explicit VR Little Endian',
    explicitVr: true,
    deflated: true,
    encapsulated: false,
  },
  {
    uid: TransferSyntax.JPEGBaseline8Bit,
    name: 'JPEG Baseline (Process 1)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEGExtended12Bit,
    name: 'JPEG Extended (Process 2 & 4)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEGLossless,
    name: 'JPEG Lossless, Non-Hierarchical (Process 14)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEGLosslessSV1,
    name: 'JPEG Lossless, First-Order Prediction (Process 14 SV1)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEGLSLossless,
    name: 'JPEG-LS Lossless',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEGLSNearLossless,
    name: 'JPEG-LS Lossy (Near-Lossless)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  {
    uid: TransferSyntax.JPEG2000Lossless,
    name: 'JPEG 2000 (Lossless Only)',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
  { uid: TransferSyntax.JPEG2000, name: 'JPEG 2000', explicitVr: true, deflated: false, encapsulated: true },
  {
    uid: TransferSyntax.RLELossless,
    name: 'RLE Lossless',
    explicitVr: true,
    deflated: false,
    encapsulated: true,
  },
];

const byUid = new Map(infos.map((info) => [info.uid, info]));

/** Looks up a supported transfer syntax; `undefined` when Fovea does not support it. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return byUid.get(uid);
}

/** Every transfer syntax Fovea accepts, in the SCP's order of preference (lossless and native first). */
export const acceptedTransferSyntaxes: readonly string[] = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.JPEGLosslessSV1,
  TransferSyntax.JPEGLossless,
  TransferSyntax.JPEGLSLossless,
  TransferSyntax.JPEG2000Lossless,
  TransferSyntax.RLELossless,
  TransferSyntax.JPEGBaseline8Bit,
  TransferSyntax.JPEGExtended12Bit,
  TransferSyntax.JPEGLSNearLossless,
  TransferSyntax.JPEG2000,
];
