/**
 * Rendered images for the review station: `GET /api/instances/{SOPInstanceUID}/rendered?frame=N&maxSize=PX`
 * decodes one frame of a received instance from the spool (imaging's decoder, the same one the analyzers use,
 * so the viewer shows exactly the pixels that were analysed), scales it to fit `maxSize` and answers JPEG or PNG
 * (by `Accept`). Colour stays RGB, greyscale stays grey; 16-bit data is windowed to the frame's range. Rendered
 * images are kept in memory by (instance, frame, size, format), bounded in bytes; the last parsed multi-frame
 * files are kept too, so paging through an OCT volume parses it once.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_9.5 (the WADO-RS rendered resources it mirrors)
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import sharp from 'sharp';
import Type from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import { openFrames, type DecodedFrame, type FrameSource } from '../../imaging/index.ts';
import { ProblemSchema } from '../schemas.ts';

/** What the image routes read. */
export interface ImageRouteOptions {
  /** The absolute path of an instance's Part 10 file in the spool, or undefined when it is not indexed. */
  readonly instanceFile: (sopInstanceUid: string) => Promise<string | undefined>;
  /** Bytes of rendered images kept in memory (default 64 MiB). */
  readonly cacheBytes?: number;
  /** Parsed multi-frame files kept in memory (default 2). */
  readonly openFiles?: number;
}

/** The media types the rendered route answers. */
export type RenderedFormat = 'image/jpeg' | 'image/png';

const ImageParamsSchema = Type.Object({
  SOPInstanceUID: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 }),
});

const RenderedQuerySchema = Type.Object(
  {
    frame: Type.Integer({ minimum: 1, default: 1, description: '1-based frame number' }),
    maxSize: Type.Integer({
      minimum: 16,
      maximum: 4096,
      default: 1024,
      description: 'the longer side of the image at most, in pixels (never enlarged)',
    }),
  },
  { additionalProperties: false },
);

/**
 * Chooses JPEG or PNG from an Accept header: PNG when it is preferred over JPEG, else JPEG (also for `image/*`,
 * `*\/*` or no header).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1
 */
export function chooseRenderedFormat(accept: string | undefined): RenderedFormat {
  const weights = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [type, ...parameters] = part.trim().toLowerCase().split(';');
    const q = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/u.exec(parameter)?.[1]).find(Boolean);
    if (type !== undefined && type !== '') {
      weights.set(type.trim(), q === undefined ? 1 : Number(q));
    }
  }
  const png = weights.get('image/png') ?? 0;
  const jpeg = weights.get('image/jpeg') ?? 0;
  return png > jpeg ? 'image/png' : 'image/jpeg';
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

/** Registers the image routes. */
export function imageRoutes(options: ImageRouteOptions): FastifyPluginAsync {
  const rendered = new WeightedLru<Buffer>(options.cacheBytes ?? 64 * 1024 * 1024);
  const sources = new WeightedLru<FrameSource>(options.openFiles ?? 2);
  const inFlight = new Map<string, Promise<Buffer>>();

  const openSource = async (uid: string): Promise<FrameSource> => {
    const cached = sources.get(uid);
    if (cached !== undefined) {
      return cached;
    }
    const path = await options.instanceFile(uid);
    if (path === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such instance' });
    }
    const source = openFrames(await readFile(path));
    if (source.numberOfFrames > 1) {
      sources.set(uid, source, 1);
    }
    return source;
  };

  const render = async (uid: string, frame: number, maxSize: number, format: RenderedFormat) => {
    const source = await openSource(uid);
    if (frame > source.numberOfFrames) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', {
        detail: `no frame ${frame}: the instance has ${source.numberOfFrames}`,
      });
    }
    return renderFrame(await source.frame(frame - 1), maxSize, format);
  };

  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/instances/:SOPInstanceUID/rendered',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary:
            'One frame of a received instance rendered as JPEG (default) or PNG (Accept: image/png), scaled to ' +
            'fit maxSize; colour and greyscale, every transfer syntax the decoder supports',
          params: ImageParamsSchema,
          querystring: RenderedQuerySchema,
          response: {
            200: Type.Unsafe<Buffer>({
              type: 'string',
              format: 'binary',
              description: 'image/jpeg or image/png',
            }),
            404: ProblemSchema,
            422: ProblemSchema,
          },
        },
      },
      async (request, reply) => {
        const uid = request.params.SOPInstanceUID;
        const { frame, maxSize } = request.query;
        const format = chooseRenderedFormat(request.headers.accept);
        const key = `${uid}|${frame}|${maxSize}|${format}`;
        let image = rendered.get(key);
        if (image === undefined) {
          let pending = inFlight.get(key);
          if (pending === undefined) {
            pending = render(uid, frame, maxSize, format).finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
          }
          image = await pending;
          rendered.set(key, image, image.length);
        }
        return reply
          .header('content-type', format)
          .header('cache-control', 'private, max-age=3600')
          .header('vary', 'accept')
          .send(image);
      },
    );
  };
}
