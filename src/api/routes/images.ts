/**
 * Rendered images for the review station: `GET /api/instances/{SOPInstanceUID}/rendered?frame=N&maxSize=PX`
 * decodes one frame of a received instance from the spool (imaging's decoder, the same one the analyzers use,
 * so the viewer shows exactly the pixels that were analysed), scales it to fit `maxSize` and answers JPEG or PNG
 * (by `Accept`), through the renderer of `../rendered-images.ts` (its memory cache, warmed when a study is
 * routed).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_9.5 (the WADO-RS rendered resources it mirrors)
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { RenderedImages, type RenderedFormat, type RenderedImagesOptions } from '../rendered-images.ts';
import { ProblemSchema } from '../schemas.ts';

/** What the image routes read: the renderer, or what to make one from. */
export interface ImageRouteOptions extends RenderedImagesOptions {
  /** A renderer shared with the gateway (which warms it when a study is routed); default a new one. */
  readonly renderer?: RenderedImages;
}

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

/** Registers the image routes. */
export function imageRoutes(options: ImageRouteOptions): FastifyPluginAsync {
  const renderer = options.renderer ?? new RenderedImages(options);
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
        const image = await renderer.get(uid, frame, maxSize, format);
        return reply
          .header('content-type', format)
          .header('cache-control', 'private, max-age=3600')
          .header('vary', 'accept')
          .send(image);
      },
    );
  };
}
