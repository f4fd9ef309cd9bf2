/**
 * Where an OCT volume's B-scans lie on its SLO (the en-face infrared image) for the review station:
 * `GET /api/studies/{uid}/oct-slo/{SOPInstanceUID}` (role `integration`) answers the SLO instance and one line per
 * B-scan in SLO pixels (x = column, y = row). The lines come from each frame's Ophthalmic Frame Location (Reference
 * Coordinates, row/column pairs on the referenced image, PS3.3 C.8.17.8) when the OPT carries them and the
 * referenced image is in the study (`source: 'ophthalmic-frame-location'`: what the synthetic generator and
 * `fovea import-vol` write); otherwise from the volume's geometry (`source: 'volume-geometry'`): the scan centred
 * on an SLO / photograph of the same eye in the study, its width from Pixel Spacing of both images, the B-scans
 * superior → inferior (frame 1 at the top) at Spacing Between Slices — an assumption, not a registration.
 * 404 when the volume is not in the study or no image of its eye is there to draw on. Answers are kept in memory
 * (the last few volumes), so the OPT file is parsed once.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.8 (Ophthalmic Frame Location)
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceRecord } from '../../core/instance.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import { readNaturalPart10 } from '../../dicom/codec/index.ts';
import { ProblemSchema } from '../schemas.ts';

/** SOP Class UID of Ophthalmic Tomography Image Storage. */
const tomographySopClass = '1.2.840.10008.5.1.4.1.1.77.1.5.4';
/** Ophthalmic Photography 8 Bit and 16 Bit Image Storage: the SLO / fundus images a scan is drawn on. */
const photographSopClasses = ['1.2.840.10008.5.1.4.1.1.77.1.5.1', '1.2.840.10008.5.1.4.1.1.77.1.5.2'];

const ParamsSchema = Type.Object({
  StudyInstanceUID: Type.String({ pattern: '^[0-9.]{1,64}$' }),
  SOPInstanceUID: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 }),
});

const point = Type.Tuple([Type.Number(), Type.Number()], {
  description: 'x (column), y (row) in SLO pixels',
});

const SloViewSchema = Type.Object({
  sopInstanceUid: Type.String({ description: 'the OCT volume' }),
  eye: Type.Union([Type.Literal('R'), Type.Literal('L')]),
  frames: Type.Integer(),
  slo: Type.Object({ sopInstanceUid: Type.String(), rows: Type.Integer(), columns: Type.Integer() }),
  source: Type.Union([Type.Literal('ophthalmic-frame-location'), Type.Literal('volume-geometry')]),
  lines: Type.Array(
    Type.Object({
      frame: Type.Integer({ description: '1-based B-scan' }),
      points: Type.Array(point, { minItems: 2 }),
    }),
  ),
});

/** An OCT volume's B-scan positions on its SLO as the API answers them. */
export type SloView = Static<typeof SloViewSchema>;

/** What the route reads: the index and the spool path of an instance. */
export interface OctSloRouteOptions {
  readonly index: InstanceIndex;
  /** The absolute path of an instance's Part 10 file in the spool, or undefined when it is not indexed. */
  readonly instanceFile: (sopInstanceUid: string) => Promise<string | undefined>;
  /** Answers kept in memory (default 8). */
  readonly keep?: number;
}

type Dataset = Readonly<Record<string, unknown>>;

function firstItem(value: unknown): Dataset | undefined {
  const item: unknown = Array.isArray(value) ? value[0] : value;
  return typeof item === 'object' && item !== null ? (item as Dataset) : undefined;
}

function numbers(value: unknown): number[] {
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(Number).filter((entry) => Number.isFinite(entry));
}

/** Each frame's Ophthalmic Frame Location: the referenced image and its row/column pairs. */
export function frameLocations(
  dataset: Dataset,
): { frame: number; referencedSopInstanceUid: string; points: [number, number][] }[] {
  const perFrame = Array.isArray(dataset.PerFrameFunctionalGroupsSequence)
    ? (dataset.PerFrameFunctionalGroupsSequence as unknown[])
    : [];
  const out: { frame: number; referencedSopInstanceUid: string; points: [number, number][] }[] = [];
  for (const [index, item] of perFrame.entries()) {
    const location = firstItem(firstItem(item)?.OphthalmicFrameLocationSequence);
    const referenced = location?.ReferencedSOPInstanceUID;
    const coordinates = numbers(location?.ReferenceCoordinates);
    if (typeof referenced !== 'string' || coordinates.length < 4 || coordinates.length % 2 !== 0) {
      continue;
    }
    const points: [number, number][] = [];
    for (let i = 0; i < coordinates.length; i += 2) {
      // Reference Coordinates are row\column pairs; the answer gives x (column), y (row).
      points.push([coordinates[i + 1]!, coordinates[i]!]);
    }
    out.push({ frame: index + 1, referencedSopInstanceUid: referenced, points });
  }
  return out;
}

/** Row and column spacing (mm) of an image: Pixel Spacing at the top level or in the shared Pixel Measures. */
function pixelSpacing(dataset: Dataset): [number, number] | undefined {
  const measures = firstItem(firstItem(dataset.SharedFunctionalGroupsSequence)?.PixelMeasuresSequence);
  const spacing = numbers(dataset.PixelSpacing ?? measures?.PixelSpacing);
  return spacing.length === 2 && spacing[0]! > 0 && spacing[1]! > 0 ? [spacing[0]!, spacing[1]!] : undefined;
}

function sliceSpacing(dataset: Dataset): number | undefined {
  const measures = firstItem(firstItem(dataset.SharedFunctionalGroupsSequence)?.PixelMeasuresSequence);
  const value = numbers(measures?.SpacingBetweenSlices ?? dataset.SpacingBetweenSlices)[0];
  return value !== undefined && value > 0 ? value : undefined;
}

/**
 * The B-scan lines of a volume from its geometry alone, centred on the SLO: width = columns × lateral spacing,
 * B-scans superior → inferior at the slice spacing (a square scan when none is declared).
 */
export function geometryLines(
  volume: { frames: number; columns: number; lateralMm: number; frameSpacingMm: number | undefined },
  slo: { rows: number; columns: number; rowMm: number; columnMm: number },
): SloView['lines'] {
  const widthMm = volume.columns * volume.lateralMm;
  const spacingMm = volume.frameSpacingMm ?? widthMm / Math.max(1, volume.frames);
  const halfWidth = widthMm / 2 / slo.columnMm;
  const centreX = slo.columns / 2;
  const centreY = slo.rows / 2;
  const lines: SloView['lines'] = [];
  for (let frame = 1; frame <= volume.frames; frame++) {
    const y = centreY + ((frame - 1 - (volume.frames - 1) / 2) * spacingMm) / slo.rowMm;
    lines.push({
      frame,
      points: [
        [centreX - halfWidth, y],
        [centreX + halfWidth, y],
      ],
    });
  }
  return lines;
}

/** Registers the SLO route on an app. */
export function registerOctSloRoute(base: FastifyInstance, options: OctSloRouteOptions): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const keep = options.keep ?? 8;
  const cache: { key: string; view: SloView }[] = [];

  const datasetOf = async (sopInstanceUid: string): Promise<Dataset> => {
    const path = await options.instanceFile(sopInstanceUid);
    if (path === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'the instance is not in the spool' });
    }
    return readNaturalPart10(await readFile(path));
  };

  const viewOf = async (volume: InstanceRecord, instances: readonly InstanceRecord[]): Promise<SloView> => {
    const eye = volume.eye;
    if (eye !== 'R' && eye !== 'L') {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'the volume has no known eye' });
    }
    const dataset = await datasetOf(volume.sopInstanceUid);
    const frames = volume.numberOfFrames ?? 1;
    const located = frameLocations(dataset);
    const referenced = instances.find(
      (instance) => instance.sopInstanceUid === located[0]?.referencedSopInstanceUid,
    );
    if (
      referenced?.rows !== undefined &&
      referenced.columns !== undefined &&
      located.every((entry) => entry.referencedSopInstanceUid === referenced.sopInstanceUid)
    ) {
      return {
        sopInstanceUid: volume.sopInstanceUid,
        eye,
        frames,
        slo: {
          sopInstanceUid: referenced.sopInstanceUid,
          rows: referenced.rows,
          columns: referenced.columns,
        },
        source: 'ophthalmic-frame-location',
        lines: located.map(({ frame, points }) => ({ frame, points })),
      };
    }
    const slo =
      instances.find(
        (instance) =>
          photographSopClasses.includes(instance.sopClassUid) &&
          instance.eye === eye &&
          instance.seriesInstanceUid === volume.seriesInstanceUid,
      ) ??
      instances.find(
        (instance) => photographSopClasses.includes(instance.sopClassUid) && instance.eye === eye,
      );
    const volumeSpacing = pixelSpacing(dataset);
    if (slo?.rows === undefined || slo.columns === undefined || volumeSpacing === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', {
        detail: 'no SLO or photograph of this eye in the study',
      });
    }
    const sloSpacing = pixelSpacing(await datasetOf(slo.sopInstanceUid));
    if (sloSpacing === undefined) {
      throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'the SLO declares no pixel spacing' });
    }
    return {
      sopInstanceUid: volume.sopInstanceUid,
      eye,
      frames,
      slo: { sopInstanceUid: slo.sopInstanceUid, rows: slo.rows, columns: slo.columns },
      source: 'volume-geometry',
      lines: geometryLines(
        {
          frames,
          columns: volume.columns ?? 0,
          lateralMm: volumeSpacing[1],
          frameSpacingMm: sliceSpacing(dataset),
        },
        { rows: slo.rows, columns: slo.columns, rowMm: sloSpacing[0], columnMm: sloSpacing[1] },
      ),
    };
  };

  app.get(
    '/api/studies/:StudyInstanceUID/oct-slo/:SOPInstanceUID',
    {
      config: { role: 'integration' },
      schema: {
        tags: ['studies'],
        summary:
          "An OCT volume's SLO (en-face image) and each B-scan's line on it in SLO pixels, from the Ophthalmic " +
          'Frame Location or, without one, from the volume geometry',
        params: ParamsSchema,
        response: { 200: SloViewSchema, 404: ProblemSchema },
      },
    },
    async (request): Promise<SloView> => {
      const { StudyInstanceUID: uid, SOPInstanceUID: sop } = request.params;
      const key = `${uid}:${sop}`;
      const cached = cache.find((entry) => entry.key === key);
      if (cached !== undefined) {
        return cached.view;
      }
      const instances = await options.index.listInstances(uid);
      const volume = instances.find(
        (instance) => instance.sopInstanceUid === sop && instance.sopClassUid === tomographySopClass,
      );
      if (volume === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such OCT volume in the study' });
      }
      const view = await viewOf(volume, instances);
      cache.unshift({ key, view });
      cache.splice(keep);
      return view;
    },
  );
}
