/**
 * Decompression of one encapsulated frame with dcmjs-codecs (WebAssembly builds of libjpeg-turbo, CharLS,
 * OpenJPEG, OpenJPH, libjxl and an RLE decoder). dcmjs-codecs is loaded through the CJS `require`, so that it
 * shares the one dcmjs instance the rest of Fovea uses.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2 (native and encapsulated formats)
 */
import { createRequire } from 'node:module';
import type * as DcmjsCodecs from 'dcmjs-codecs';
import { FoveaError } from '../core/errors.ts';
import type { FrameLayout } from './native-pixels.ts';
import type { PixelDescription } from './pixel-description.ts';

const require = createRequire(import.meta.url);

type DecoderName =
  'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000' | 'decodeHtJpeg2000' | 'decodeJpegXl' | 'decodeRle';

/** The decoder for each encapsulated transfer syntax Fovea reads. */
const decoders: Readonly<Record<string, DecoderName>> = {
  '1.2.840.10008.1.2.4.50': 'decodeJpeg',
  '1.2.840.10008.1.2.4.51': 'decodeJpeg',
  '1.2.840.10008.1.2.4.57': 'decodeJpeg',
  '1.2.840.10008.1.2.4.70': 'decodeJpeg',
  '1.2.840.10008.1.2.4.80': 'decodeJpegLs',
  '1.2.840.10008.1.2.4.81': 'decodeJpegLs',
  '1.2.840.10008.1.2.4.90': 'decodeJpeg2000',
  '1.2.840.10008.1.2.4.91': 'decodeJpeg2000',
  '1.2.840.10008.1.2.4.110': 'decodeJpegXl',
  '1.2.840.10008.1.2.4.111': 'decodeJpegXl',
  '1.2.840.10008.1.2.4.112': 'decodeJpegXl',
  '1.2.840.10008.1.2.4.201': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.202': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.203': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.5': 'decodeRle',
};

/** JPEG processes whose colour frames are YCbCr inside the codestream whatever the header says. */
const lossyJpeg = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);

let loading: Promise<typeof DcmjsCodecs> | undefined;

/** Loads dcmjs-codecs once per thread and initialises its WebAssembly module. */
function loadCodecs(): Promise<typeof DcmjsCodecs> {
  loading ??= (async () => {
    const codecs = require('dcmjs-codecs') as typeof DcmjsCodecs;
    codecs.log.setLevel('error');
    if (!codecs.NativeCodecs.isInitialized()) {
      await codecs.NativeCodecs.initializeAsync();
    }
    return codecs;
  })();
  return loading;
}

/** Whether Fovea can decompress pixel data in this transfer syntax. */
export function isDecodableEncapsulated(transferSyntaxUid: string): boolean {
  return transferSyntaxUid in decoders;
}

/** A decompressed frame: native bytes and the layout the codec produced. */
export interface DecompressedFrame {
  readonly bytes: Uint8Array;
  readonly layout: FrameLayout;
}

/** Decompresses one frame; throws FOVEA_IMAGING_DECODE_FAILED when the codec rejects it. */
export async function decompressFrame(
  encoded: Uint8Array,
  description: PixelDescription,
  transferSyntaxUid: string,
): Promise<DecompressedFrame> {
  const decoder = decoders[transferSyntaxUid];
  if (decoder === undefined) {
    throw new FoveaError('FOVEA_IMAGING_DECODE_FAILED', {
      detail: `transfer syntax ${transferSyntaxUid} cannot be decompressed`,
    });
  }
  const { Context, NativeCodecs } = await loadCodecs();
  const colour = description.samplesPerPixel === 3;
  const context = new Context({
    width: description.columns,
    height: description.rows,
    bitsAllocated: description.bitsAllocated,
    bitsStored: description.bitsStored,
    samplesPerPixel: description.samplesPerPixel,
    pixelRepresentation: description.pixelRepresentation,
    planarConfiguration: description.planarConfiguration,
    photometricInterpretation: description.photometricInterpretation,
    encodedBuffer: encoded,
  });
  // libjpeg converts YCbCr to RGB itself; asking for it keeps 4:2:2 and 4:2:0 chroma upsampling in the codec.
  const convertColorspaceToRgb =
    colour && (lossyJpeg.has(transferSyntaxUid) || description.photometricInterpretation.startsWith('YBR'));
  let decoded: DcmjsCodecs.Context;
  try {
    decoded =
      decoder === 'decodeJpeg'
        ? NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb })
        : NativeCodecs[decoder](context, {});
  } catch (error) {
    throw new FoveaError('FOVEA_IMAGING_DECODE_FAILED', {
      detail: `the ${decoder.slice(6)} codec rejected the frame`,
      cause: error,
    });
  }
  const bytes = decoded.getDecodedBuffer();
  if (bytes === undefined || bytes.length === 0) {
    throw new FoveaError('FOVEA_IMAGING_DECODE_FAILED', {
      detail: `the ${decoder.slice(6)} codec gave no pixels`,
    });
  }
  return { bytes, layout: layoutAfter(decoded, description, convertColorspaceToRgb) };
}

/** What the pixels look like after the codec: photometric interpretation and planar configuration. */
function layoutAfter(
  decoded: DcmjsCodecs.Context,
  description: PixelDescription,
  convertedToRgb: boolean,
): FrameLayout {
  if (description.samplesPerPixel === 1) {
    return { photometricInterpretation: description.photometricInterpretation, planarConfiguration: 0 };
  }
  const reported = decoded.getPhotometricInterpretation()?.toUpperCase();
  let photometric = convertedToRgb ? 'RGB' : (reported ?? description.photometricInterpretation);
  // JPEG 2000 applies the inverse component transform (ICT/RCT) while decoding, so the samples are RGB.
  if (photometric === 'YBR_ICT' || photometric === 'YBR_RCT') {
    photometric = 'RGB';
  }
  return {
    photometricInterpretation: photometric,
    planarConfiguration: decoded.getPlanarConfiguration() === 1 ? 1 : 0,
  };
}
