/**
 * Minimal ambient types for dcmjs 0.50 (the package ships none). Only the surface Fovea uses is declared;
 * other areas may add their own `declare module 'dcmjs'` blocks, which merge with this one.
 */
declare module 'dcmjs' {
  /** A denaturalized DICOM JSON-like dictionary keyed by 8-hex-digit tags. */
  export type DicomJsonDict = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string }>;
  /** A naturalized dataset: DICOM keywords as property names. */
  export type NaturalDataset = Record<string, unknown>;

  export interface WriteOptions {
    allowInvalidVRLength?: boolean;
    fragmentMultiframe?: boolean;
  }

  export class DicomDict {
    constructor(meta: DicomJsonDict);
    meta: DicomJsonDict;
    dict: DicomJsonDict;
    write(options?: WriteOptions): ArrayBuffer;
  }

  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
  }

  export const DicomMessage: {
    readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
  };

  export const DicomMetaDictionary: {
    naturalizeDataset(dict: DicomJsonDict): NaturalDataset;
    denaturalizeDataset(dataset: NaturalDataset): DicomJsonDict;
    uid(): string;
    date(): string;
    time(): string;
    nameMap: Record<string, { tag: string; vr: string; name: string; vm: string }>;
    dictionary: Record<string, { tag: string; vr: string; name: string; vm: string }>;
  };

  export const log: { setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void };

  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: typeof DicomMessage;
      DicomMetaDictionary: typeof DicomMetaDictionary;
    };
    log: typeof log;
  };
  export default dcmjs;
}
