/**
 * A streaming DICOM reader: bytes are pushed in as they arrive (C-STORE P-DATA fragments, STOW parts, file
 * reads), the element structure is checked to the last byte (so truncated or malformed data is caught before
 * Fovea says "stored"), and the header — every element before the top-level Pixel Data — is kept in memory.
 * Pixel data and other large values are skipped, never buffered.
 *
 * Supports Part 10 files (preamble, "DICM", file meta group) and bare data sets, in Implicit and Explicit VR
 * Little Endian, the encapsulated (compressed) syntaxes, and Deflated Explicit VR Little Endian.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7 (Part 10 file format)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_7.1 (data element encoding)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_7.5 (nesting of data sets)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_A.4 (encapsulation)
 */
import { inflateRawSync } from 'node:zlib';
import { FoveaError } from '../../core/errors.ts';
import { getString, type DicomDataset, type DicomElement } from './dataset.ts';
import { Tag, formatTag, vrOfTag } from './tags.ts';
import { TransferSyntax, transferSyntaxInfo } from './transfer-syntax.ts';

/** The file meta information of a Part 10 file. */
export interface FileMeta {
  readonly mediaStorageSopClassUid?: string;
  readonly mediaStorageSopInstanceUid?: string;
  readonly transferSyntaxUid: string;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly sourceApplicationEntityTitle?: string;
  /** Bytes before the data set (preamble, prefix and meta group). */
  readonly byteLength: number;
  /** Whether the 128-byte preamble and "DICM" prefix were present. */
  readonly hasPreamble: boolean;
}

/** What a scan found. */
export interface ScanResult {
  readonly meta?: FileMeta;
  readonly transferSyntaxUid: string;
  /** Elements before the top-level Pixel Data, with nested sequences. */
  readonly header: DicomDataset;
  readonly hasPixelData: boolean;
  /** Length of the data set in bytes as transmitted (compressed length for deflated data). */
  readonly datasetBytes: number;
  /** All bytes pushed. */
  readonly totalBytes: number;
  /** Non-fatal conformance problems met while reading (lenient read). */
  readonly problems: readonly string[];
}

/** Options of a {@link DatasetScanner}. */
export interface ScannerOptions {
  /** The input is a Part 10 file (else a bare data set in `transferSyntaxUid`). */
  readonly part10: boolean;
  /** Transfer syntax of a bare data set. */
  readonly transferSyntaxUid?: string;
  /** Values longer than this are skipped rather than kept in the header (default 64 KiB). */
  readonly maxValueBytes?: number;
  /** Upper bound for a deflated data set, which must be inflated in memory (default 256 MiB). */
  readonly maxDeflatedBytes?: number;
}

type Container =
  | {
      readonly kind: 'sequence';
      readonly end: number;
      readonly items: DicomDataset[];
      readonly explicitVr: boolean;
    }
  | {
      readonly kind: 'item';
      readonly end: number;
      readonly dataset: DicomDataset;
      readonly explicitVr: boolean;
    }
  | { readonly kind: 'fragments'; readonly end: number };

const undefinedLength = 0xffffffff;
const itemTag = 0xfffee000;
const itemDelimitationTag = 0xfffee00d;
const sequenceDelimitationTag = 0xfffee0dd;
/** VRs whose explicit encoding has 2 reserved bytes and a 32-bit length. */
const longVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** Tags treated as sequences when met in Implicit VR with a defined length (no VR on the wire). */
const implicitSequenceTags = new Set<number>([
  Tag.AnatomicRegionSequence,
  Tag.FrameAnatomySequence,
  Tag.SharedFunctionalGroupsSequence,
  Tag.PerFrameFunctionalGroupsSequence,
]);

function malformed(detail: string): FoveaError {
  return new FoveaError('FOVEA_DICOM_MALFORMED', { detail });
}

/**
 * Reads a data set element by element from pushed chunks. Call {@link DatasetScanner.push} for each chunk in
 * order, then {@link DatasetScanner.end}; both throw `FOVEA_DICOM_MALFORMED` on bad structure.
 */
export class DatasetScanner {
  readonly #maxValueBytes: number;
  readonly #maxDeflatedBytes: number;
  readonly #problems: string[] = [];
  #stage: 'prefix' | 'dataset' | 'deflated' = 'prefix';
  #prefix: Buffer[] = [];
  #meta: FileMeta | undefined;
  #transferSyntaxUid = TransferSyntax.ExplicitVRLittleEndian as string;
  #totalBytes = 0;
  #datasetStart = 0;
  #deflated: Buffer[] = [];
  #deflatedBytes = 0;
  /** Absolute position in the (inflated) data set. */
  #position = 0;
  #header: DicomDataset = new Map();
  readonly #stack: Container[] = [];
  #explicitVr = true;
  #pending: Buffer = Buffer.alloc(0);
  #valueRemaining = 0;
  #valueParts: Buffer[] | undefined;
  #valueElement: { tag: number; vr: string; length: number; target: DicomDataset } | undefined;
  #pastPixelData = false;
  #hasPixelData = false;
  constructor(options: ScannerOptions) {
    this.#maxValueBytes = options.maxValueBytes ?? 64 * 1024;
    this.#maxDeflatedBytes = options.maxDeflatedBytes ?? 256 * 1024 * 1024;
    if (!options.part10) {
      this.#startDataset(options.transferSyntaxUid ?? TransferSyntax.ImplicitVRLittleEndian);
    }
  }

  /** Feeds the next chunk. */
  push(chunk: Buffer): void {
    this.#totalBytes += chunk.length;
    switch (this.#stage) {
      case 'prefix':
        this.#prefix.push(chunk);
        this.#tryReadPrefix();
        return;
      case 'deflated':
        this.#pushDeflated(chunk);
        return;
      case 'dataset':
        this.#consume(chunk);
        return;
    }
  }

  /** Declares the end of input and returns what was read. */
  end(): ScanResult {
    if (this.#stage === 'prefix' && !this.#tryReadPrefix(true)) {
      throw malformed('the data ends inside the file meta information');
    }
    if (this.#stage === 'deflated') {
      const inflated = this.#inflate();
      this.#stage = 'dataset';
      this.#consume(inflated);
    }
    this.#finish();
    return {
      ...(this.#meta === undefined ? {} : { meta: this.#meta }),
      transferSyntaxUid: this.#transferSyntaxUid,
      header: this.#header,
      hasPixelData: this.#hasPixelData,
      datasetBytes: this.#totalBytes - this.#datasetStart,
      totalBytes: this.#totalBytes,
      problems: this.#problems,
    };
  }

  #startDataset(transferSyntaxUid: string): void {
    const info = transferSyntaxInfo(transferSyntaxUid);
    if (info === undefined) {
      throw new FoveaError('FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED', { detail: transferSyntaxUid });
    }
    this.#transferSyntaxUid = transferSyntaxUid;
    this.#explicitVr = info.explicitVr;
    this.#stage = info.deflated ? 'deflated' : 'dataset';
  }

  /** Reads the preamble and file meta group once enough bytes are there; true when done. */
  #tryReadPrefix(atEnd = false): boolean {
    const data = this.#prefix.length === 1 ? this.#prefix[0]! : Buffer.concat(this.#prefix);
    this.#prefix = [data];
    if (data.length < 132 && !atEnd) {
      return false;
    }
    let offset: number;
    let hasPreamble: boolean;
    if (data.length >= 132 && data.toString('latin1', 128, 132) === 'DICM') {
      offset = 132;
      hasPreamble = true;
    } else if (data.length >= 8 && data.readUInt16LE(0) === 0x0002) {
      offset = 0;
      hasPreamble = false;
      this.#problems.push('no preamble and DICM prefix before the file meta information');
    } else if (data.length >= 8 && data.readUInt16LE(0) === 0x0008) {
      this.#problems.push('no file meta information: read as a bare data set');
      this.#prefix = [];
      this.#startDataset(guessTransferSyntax(data));
      this.#datasetStart = 0;
      this.#feedStart(data);
      return true;
    } else {
      throw malformed('not a DICOM Part 10 file (no DICM prefix)');
    }
    const meta = readFileMeta(data, offset, hasPreamble);
    if (meta === 'need-more') {
      if (atEnd) {
        throw malformed('the data ends inside the file meta information');
      }
      if (data.length > 1024 * 1024) {
        throw malformed('the file meta information is larger than 1 MiB');
      }
      return false;
    }
    this.#meta = meta;
    this.#prefix = [];
    this.#datasetStart = meta.byteLength;
    this.#startDataset(meta.transferSyntaxUid);
    this.#feedStart(data.subarray(meta.byteLength));
    return true;
  }

  #feedStart(rest: Buffer): void {
    if (rest.length === 0) {
      return;
    }
    if (this.#stage === 'deflated') {
      this.#pushDeflated(rest);
    } else {
      this.#consume(rest);
    }
  }

  #pushDeflated(chunk: Buffer): void {
    this.#deflatedBytes += chunk.length;
    if (this.#deflatedBytes > this.#maxDeflatedBytes) {
      throw malformed('deflated data set larger than the configured limit');
    }
    this.#deflated.push(chunk);
  }

  #inflate(): Buffer {
    try {
      return inflateRawSync(Buffer.concat(this.#deflated), { maxOutputLength: this.#maxDeflatedBytes * 8 });
    } catch (error) {
      throw new FoveaError('FOVEA_DICOM_MALFORMED', {
        detail: 'the deflated data set cannot be inflated',
        cause: error,
      });
    }
  }

  /** The current data set receiving elements (top level or the innermost item). */
  #target(): DicomDataset {
    for (let index = this.#stack.length - 1; index >= 0; index--) {
      const container = this.#stack[index]!;
      if (container.kind === 'item') {
        return container.dataset;
      }
    }
    return this.#header;
  }

  #consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#valueRemaining > 0) {
        const take = Math.min(this.#valueRemaining, chunk.length - offset);
        if (this.#valueParts !== undefined) {
          this.#valueParts.push(chunk.subarray(offset, offset + take));
        }
        offset += take;
        this.#position += take;
        this.#valueRemaining -= take;
        if (this.#valueRemaining === 0) {
          this.#completeValue();
        }
        continue;
      }
      this.#closeEndedContainers();
      const needed = this.#headerLength();
      const available = this.#pending.length + (chunk.length - offset);
      if (available < needed) {
        this.#pending = Buffer.concat([this.#pending, chunk.subarray(offset)]);
        this.#position += chunk.length - offset;
        return;
      }
      let header: Buffer;
      if (this.#pending.length === 0) {
        header = chunk.subarray(offset, offset + needed);
        offset += needed;
        this.#position += needed;
      } else {
        const take = needed - this.#pending.length;
        header = Buffer.concat([this.#pending, chunk.subarray(offset, offset + take)]);
        this.#pending = Buffer.alloc(0);
        offset += take;
        this.#position += take;
      }
      if (needed === 8 && this.#isLongExplicit(header)) {
        this.#pending = Buffer.from(header);
        continue;
      }
      this.#handleHeader(header);
    }
  }

  /** Bytes needed to decode the next element header; 12 once the VR shows a long form. */
  #headerLength(): number {
    if (this.#pending.length >= 8 && this.#isLongExplicit(this.#pending)) {
      return 12;
    }
    return 8;
  }

  #isLongExplicit(header: Buffer): boolean {
    if (!this.#currentExplicitVr() || header.readUInt16LE(0) === 0xfffe) {
      return false;
    }
    return longVrs.has(header.toString('latin1', 4, 6));
  }

  #currentExplicitVr(): boolean {
    const top = this.#stack.at(-1);
    if (top === undefined || top.kind === 'fragments') {
      return this.#explicitVr;
    }
    return top.explicitVr;
  }

  #closeEndedContainers(): void {
    const at = this.#position - this.#pending.length;
    for (;;) {
      const top = this.#stack.at(-1);
      if (top === undefined || top.end === Number.POSITIVE_INFINITY || at < top.end) {
        return;
      }
      if (at > top.end) {
        throw malformed('an element runs past the end of its enclosing sequence or item');
      }
      this.#stack.pop();
    }
  }

  #handleHeader(header: Buffer): void {
    const group = header.readUInt16LE(0);
    const tag = ((group << 16) | header.readUInt16LE(2)) >>> 0;
    const top = this.#stack.at(-1);
    if (group === 0xfffe) {
      this.#handleDelimiter(tag, header.readUInt32LE(4), top);
      return;
    }
    if (top !== undefined && top.kind !== 'item') {
      throw malformed(`element ${formatTag(tag)} where a sequence item was expected`);
    }
    const explicitVr = this.#currentExplicitVr();
    let vr: string;
    let length: number;
    if (explicitVr) {
      vr = header.toString('latin1', 4, 6);
      if (!/^[A-Z]{2}$/u.test(vr)) {
        throw malformed(`invalid VR for element ${formatTag(tag)}`);
      }
      length = header.length === 12 ? header.readUInt32LE(8) : header.readUInt16LE(6);
    } else {
      vr = vrOfTag(tag);
      length = header.readUInt32LE(4);
    }
    if (group === 0x0002 && this.#stack.length === 0) {
      this.#problems.push('file meta element inside the data set');
    }
    const target = this.#target();
    const topLevel = this.#stack.length === 0;
    const isSequence =
      vr === 'SQ' ||
      (!explicitVr && (length === undefinedLength ? tag !== Tag.PixelData : implicitSequenceTags.has(tag))) ||
      (vr === 'UN' && length === undefinedLength);
    if (isSequence) {
      const items: DicomDataset[] = [];
      if (!this.#pastPixelData) {
        target.set(tag, { tag, vr: 'SQ', length, items });
      }
      this.#stack.push({
        kind: 'sequence',
        end: length === undefinedLength ? Number.POSITIVE_INFINITY : this.#position + length,
        items,
        // A sequence encoded as UN with undefined length holds Implicit VR items (PS3.5 §6.2.2).
        explicitVr: vr === 'UN' ? false : explicitVr,
      });
      return;
    }
    if (tag === Tag.PixelData && topLevel) {
      this.#hasPixelData = true;
      this.#pastPixelData = true;
    }
    if (length === undefinedLength) {
      if (tag !== Tag.PixelData) {
        throw malformed(`undefined length for non-sequence element ${formatTag(tag)}`);
      }
      this.#stack.push({ kind: 'fragments', end: Number.POSITIVE_INFINITY });
      return;
    }
    const keep = !this.#pastPixelData && length <= this.#maxValueBytes;
    if (!this.#pastPixelData && !keep) {
      target.set(tag, { tag, vr, length });
    }
    this.#valueElement = keep ? { tag, vr, length, target } : undefined;
    this.#valueParts = keep ? [] : undefined;
    this.#valueRemaining = length;
    if (length === 0) {
      this.#completeValue();
    }
  }

  #handleDelimiter(tag: number, length: number, top: Container | undefined): void {
    if (tag === itemTag) {
      if (top?.kind === 'sequence') {
        const dataset: DicomDataset = new Map();
        top.items.push(dataset);
        this.#stack.push({
          kind: 'item',
          end: length === undefinedLength ? Number.POSITIVE_INFINITY : this.#position + length,
          dataset,
          explicitVr: top.explicitVr,
        });
        return;
      }
      if (top?.kind === 'fragments') {
        if (length === undefinedLength) {
          throw malformed('pixel data fragment with undefined length');
        }
        this.#valueElement = undefined;
        this.#valueParts = undefined;
        this.#valueRemaining = length;
        return;
      }
      throw malformed('sequence item outside a sequence');
    }
    if (tag === itemDelimitationTag) {
      if (top?.kind !== 'item' || top.end !== Number.POSITIVE_INFINITY) {
        throw malformed('item delimiter outside an item of undefined length');
      }
      this.#stack.pop();
      return;
    }
    if (tag === sequenceDelimitationTag) {
      if (top === undefined || top.kind === 'item' || top.end !== Number.POSITIVE_INFINITY) {
        throw malformed('sequence delimiter outside a sequence of undefined length');
      }
      this.#stack.pop();
      return;
    }
    throw malformed(`unknown delimiter ${formatTag(tag)}`);
  }

  #completeValue(): void {
    const element = this.#valueElement;
    const parts = this.#valueParts;
    this.#valueElement = undefined;
    this.#valueParts = undefined;
    if (element === undefined || parts === undefined) {
      return;
    }
    const value = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
    const parsed: DicomElement = { tag: element.tag, vr: element.vr, length: element.length, value };
    element.target.set(element.tag, parsed);
  }

  #finish(): void {
    if (this.#valueRemaining > 0) {
      throw malformed(`the data ends ${this.#valueRemaining} bytes short inside an element value`);
    }
    this.#closeEndedContainers();
    if (this.#pending.length > 0) {
      if (this.#stack.length === 0 && this.#pending.every((byte) => byte === 0)) {
        this.#problems.push(`${this.#pending.length} trailing padding bytes after the data set`);
      } else {
        throw malformed('the data ends inside an element header');
      }
    }
    if (this.#stack.length > 0) {
      throw malformed('the data ends inside a sequence or encapsulated pixel data');
    }
  }
}

/** Reads the file meta group from `data` at `offset`; `need-more` when the buffer is too short. */
function readFileMeta(data: Buffer, offset: number, hasPreamble: boolean): FileMeta | 'need-more' {
  const values = new Map<number, Buffer>();
  let position = offset;
  let end: number | undefined;
  for (;;) {
    if (end !== undefined && position >= end) {
      break;
    }
    if (position + 8 > data.length) {
      return 'need-more';
    }
    const group = data.readUInt16LE(position);
    if (group !== 0x0002) {
      if (end !== undefined) {
        throw malformed('file meta group length does not match its elements');
      }
      break;
    }
    const tag = ((group << 16) | data.readUInt16LE(position + 2)) >>> 0;
    const vr = data.toString('latin1', position + 4, position + 6);
    let length: number;
    let headerLength: number;
    if (longVrs.has(vr)) {
      if (position + 12 > data.length) {
        return 'need-more';
      }
      length = data.readUInt32LE(position + 8);
      headerLength = 12;
    } else if (/^[A-Z]{2}$/u.test(vr)) {
      length = data.readUInt16LE(position + 6);
      headerLength = 8;
    } else {
      throw malformed('the file meta information is not in Explicit VR Little Endian');
    }
    if (length === undefinedLength) {
      throw malformed('undefined length in the file meta information');
    }
    if (position + headerLength + length > data.length) {
      return 'need-more';
    }
    const value = data.subarray(position + headerLength, position + headerLength + length);
    values.set(tag, value);
    position += headerLength + length;
    if (tag === Tag.FileMetaInformationGroupLength && length === 4) {
      end = position + value.readUInt32LE(0);
    }
  }
  const meta: DicomDataset = new Map(
    [...values].map(([tag, value]) => [tag, { tag, vr: vrOfTag(tag), length: value.length, value }]),
  );
  const transferSyntaxUid = getString(meta, Tag.TransferSyntaxUID);
  if (transferSyntaxUid === undefined) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', {
      detail: 'TransferSyntaxUID missing from the file meta information',
      path: 'TransferSyntaxUID',
    });
  }
  const optional = (key: string, tag: number): Record<string, string> => {
    const value = getString(meta, tag);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    transferSyntaxUid,
    byteLength: position,
    hasPreamble,
    ...optional('mediaStorageSopClassUid', Tag.MediaStorageSOPClassUID),
    ...optional('mediaStorageSopInstanceUid', Tag.MediaStorageSOPInstanceUID),
    ...optional('implementationClassUid', Tag.ImplementationClassUID),
    ...optional('implementationVersionName', Tag.ImplementationVersionName),
    ...optional('sourceApplicationEntityTitle', Tag.SourceApplicationEntityTitle),
  };
}

/**
 * Reads only the preamble and file meta group of a Part 10 file from its first bytes; `undefined` when more
 * bytes are needed. Throws `FOVEA_DICOM_MALFORMED` when the bytes are not a Part 10 file.
 */
export function readPart10Meta(data: Buffer): FileMeta | undefined {
  if (data.length >= 132 && data.toString('latin1', 128, 132) === 'DICM') {
    const meta = readFileMeta(data, 132, true);
    return meta === 'need-more' ? undefined : meta;
  }
  if (data.length >= 8 && data.readUInt16LE(0) === 0x0002) {
    const meta = readFileMeta(data, 0, false);
    return meta === 'need-more' ? undefined : meta;
  }
  if (data.length < 132) {
    return undefined;
  }
  throw malformed('not a DICOM Part 10 file (no DICM prefix)');
}

/** Guesses Explicit or Implicit VR Little Endian for a bare data set from its first element. */
function guessTransferSyntax(data: Buffer): string {
  const vr = data.toString('latin1', 4, 6);
  return /^[A-Z]{2}$/u.test(vr)
    ? TransferSyntax.ExplicitVRLittleEndian
    : TransferSyntax.ImplicitVRLittleEndian;
}

/** Scans a complete buffer (convenience for files already in memory). */
export function scanBuffer(data: Buffer, options: ScannerOptions): ScanResult {
  const scanner = new DatasetScanner(options);
  scanner.push(data);
  return scanner.end();
}
