/**
 * The review station's rendered images: one frame of a received instance decoded from the spool (imaging's
 * decoder, the same one the analyzers use, so the viewer shows exactly the pixels that were analysed), scaled to
 * fit a size and encoded as JPEG or PNG. Colour stays RGB, greyscale stays grey; 16-bit data is windowed to the
 * frame's range. Rendered images are kept in memory by (instance, frame, size, format), bounded in bytes, and one
 * render per key runs at a time; the last parsed multi-frame files are kept too, so paging through an OCT volume
 * parses it once. `warm` renders a routed study's photographs before anyone opens it, one at a time, so a reader
 * opening the study gets them from memory.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_9.5 (the WADO-RS rendered resources it mirrors)
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { FoveaError } from '../core/errors.ts';
import { openFrames, type DecodedFrame, type FrameSource } from '../imaging/index.ts';

/** The size the review station asks a fundus photograph at (`web/src/components/fundus-viewer.tsx`). */
export const stationFundusSize = 1024;

/** The media types the rendered route answers. */
export type RenderedFormat = 'image/jpeg' | 'image/png';

/** What a renderer reads. */
export interface RenderedImagesOptions {
  /** The absolute path of an instance's Part 10 file in the spool, or undefined when it is not indexed. */
  readonly instanceFile: (sopInstanceUid: string) => Promise<string | undefined>;
  /** Bytes of rendered images kept in memory (default 64 MiB). */
  readonly cacheBytes?: number;
  /** Parsed multi-frame files kept in memory (default 2). */
  readonly openFiles?: number;
}

/** The frame as 8-bit samples for encoding: 8-bit data as is, 16-bit data windowed to the frame's own range. */
export function displayBytes(frame: DecodedFrame): Uint8Array {
  if (frame.bitsAllocated === 8) {
    return frame.data as Uint8Array;
  }
  const data = frame.data;
  let min = Infinity;
  let max = -Infinity;
  for (const value of data) {
    if (value < min) {
      min = value;
    }
    if (value > max) {
      max = value;
    }
  }
  const out = new Uint8Array(data.length);
  const scale = max > min ? 255 / (max - min) : 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = Math.round((data[i]! - min) * scale);
  }
  return out;
}

/** Encodes a decoded frame, scaled to fit `maxSize`, as JPEG or PNG. */
export async function renderFrame(
  frame: DecodedFrame,
  maxSize: number,
  format: RenderedFormat,
): Promise<Buffer> {
  const bytes = displayBytes(frame);
  const image = sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    raw: { width: frame.columns, height: frame.rows, channels: frame.samplesPerPixel },
  })
    .resize({ width: maxSize, height: maxSize, fit: 'inside', withoutEnlargement: true })
    .toColourspace(frame.samplesPerPixel === 1 ? 'b-w' : 'srgb');
  return format === 'image/png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}

/** A least-recently-used map bounded by the summed weight of its values. */
class WeightedLru<V> {
  readonly #entries = new Map<string, { value: V; weight: number }>();
  readonly #capacity: number;
  #total = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry?.value;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, value: V, weight: number): void {
    if (weight > this.#capacity) {
      return;
    }
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#total -= previous.weight;
      this.#entries.delete(key);
    }
    this.#entries.set(key, { value, weight });
    this.#total += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#total <= this.#capacity) {
        break;
      }
      this.#entries.delete(oldest);
      this.#total -= entry.weight;
    }
  }
}

/** A request to render ahead of time. */
export interface WarmRequest {
  readonly sopInstanceUid: string;
  readonly frame: number;
  readonly maxSize: number;
  readonly format: RenderedFormat;
}

/** Renders frames on demand and ahead of time, with a bounded memory cache. */
export class RenderedImages {
  readonly #options: RenderedImagesOptions;
  readonly #rendered: WeightedLru<Buffer>;
  readonly #sources: WeightedLru<FrameSource>;
  readonly #inFlight = new Map<string, Promise<Buffer>>();
  readonly #queue: WarmRequest[] = [];
  #warming: Promise<void> | undefined;

  constructor(options: RenderedImagesOptions) {
    this.#options = options;
    this.#rendered = new WeightedLru<Buffer>(options.cacheBytes ?? 64 * 1024 * 1024);
    this.#sources = new WeightedLru<FrameSource>(options.openFiles ?? 2);
  }

  /**
   * One rendered frame (1-based), from memory or rendered now.
   * @throws FoveaError `FOVEA_HTTP_NOT_FOUND` for an instance that is not indexed or a frame it does not have.
   */
  async get(sopInstanceUid: string, frame: number, maxSize: number, format: RenderedFormat): Promise<Buffer> {
    const key = `${sopInstanceUid}|${frame}|${maxSize}|${format}`;
    const cached = this.#rendered.get(key);
    if (cached !== undefined) {
      return cached;
    }
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#render(sopInstanceUid, frame, maxSize, format).finally(() =>
        this.#inFlight.delete(key),
      );
      this.#inFlight.set(key, pending);
    }
    const image = await pending;
    this.#rendered.set(key, image, image.length);
    return image;
  }

  /**
   * Queues frames to render ahead of time, one at a time in the background (failures are ignored: the reader's
   * own request reports them). Returns when the queue is empty.
   */
  warm(requests: readonly WarmRequest[]): Promise<void> {
    this.#queue.push(...requests);
    this.#warming ??= (async () => {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const key = `${next.sopInstanceUid}|${next.frame}|${next.maxSize}|${next.format}`;
        if (!this.#rendered.has(key)) {
          await this.get(next.sopInstanceUid, next.frame, next.maxSize, next.format).catch(() => undefined);
        }
      }
    })().finally(() => {
      this.#warming = undefined;
    });
    return this.#warming;
  }

  async #openSource(uid: string): Promise<FrameSource> {
    const cached = this.#sources.get(uid);
    if (cached !== undefined) {
      return cached;
    }
    const path = await this.#options.instanceFile(uid);
    if (path === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such instance' });
    }
    const source = openFrames(await readFile(path));
    if (source.numberOfFrames > 1) {
      this.#sources.set(uid, source, 1);
    }
    return source;
  }

  async #render(uid: string, frame: number, maxSize: number, format: RenderedFormat): Promise<Buffer> {
    const source = await this.#openSource(uid);
    if (frame > source.numberOfFrames) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', {
        detail: `no frame ${frame}: the instance has ${source.numberOfFrames}`,
      });
    }
    return renderFrame(await source.frame(frame - 1), maxSize, format);
  }
}
