/**
 * The Color Softcopy Presentation State over a synthetic colour fundus photograph (OP 8 Bit) with DR lesions:
 * dciodvfy (zero Error and zero Warning lines), dcentvfy against the photograph, DCMTK dcmdump and dcmpschk,
 * and a dcmjs read-back of every graphic object, layer colour, text, reference and patient/study attribute.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NaturalDataset } from 'dcmjs';
import { requirePeer, run, which } from '../../../test/peers/peers.ts';
import { FoveaError } from '../../core/errors.ts';
import { generateFundus, makePatient, makeStudy } from '../../synth/index.ts';
import type { FundusLesionType, FundusTruth, SynthObject } from '../../synth/index.ts';
import { readNaturalPart10, SopClass } from '../codec/index.ts';
import { readSourceStudyContext } from '../sr/source-study.ts';
import {
  aiNotReviewedStatement,
  buildColorPresentationState,
  circleGraphicData,
  colorSoftcopyPresentationStateSopClassUid,
  maxPresentationLayers,
} from './color-presentation-state.ts';
import type { ColorPresentationStateInput, PrLayer } from './color-presentation-state.ts';
import { buildSrgbIccProfile } from './icc-profile.ts';
import { readPresentationStatePart10 } from './part10.ts';
import { srgbHexToDicomCielab } from './srgb.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-pr-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

const columns = 640;
const rows = 480;
let fundus: SynthObject<FundusTruth>;
let input: ColorPresentationStateInput;
let prFile: string;
let variantFile: string;
let opFile: string;

function items(dataset: NaturalDataset | undefined, keyword: string): NaturalDataset[] {
  const value = dataset?.[keyword];
  return Array.isArray(value)
    ? (value as NaturalDataset[])
    : value === undefined
      ? []
      : [value as NaturalDataset];
}

function numbers(value: unknown): number[] {
  return (Array.isArray(value) ? value : [value]).map(Number);
}

function bytesOf(value: unknown): Uint8Array {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (first instanceof ArrayBuffer) {
    return new Uint8Array(first);
  }
  if (ArrayBuffer.isView(first)) {
    return new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
  }
  throw new Error('not binary');
}

function personName(value: unknown): string {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'object' && first !== null) {
    return (first as { Alphabetic?: string }).Alphabetic ?? '';
  }
  return typeof first === 'string' ? first : '';
}

function isPrInvalid(pattern: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof FoveaError && error.code === 'FOVEA_PR_INVALID' && pattern.test(error.message);
}

const layerStyle: Partial<Record<FundusLesionType, { name: string; colour: string; label: string }>> = {
  microaneurysm: { name: 'MICROANEURYSM', colour: '#FF0000', label: 'Microaneurysms' },
  haemorrhage: { name: 'HAEMORRHAGE', colour: '#FF8000', label: 'Haemorrhages' },
  'hard-exudate': { name: 'HARD_EXUDATE', colour: '#FFFF00', label: 'Hard exudates' },
};

before(async () => {
  const patient = makePatient({ seed: 'pr-test' });
  const study = makeStudy({ seed: 'pr-test' });
  fundus = await generateFundus({
    seed: 'pr-test',
    eye: 'R',
    icdr: 2,
    dme: true,
    patient,
    study,
    width: columns,
    height: rows,
  });
  const layers: PrLayer[] = [];
  for (const [type, style] of Object.entries(layerStyle)) {
    const lesions = fundus.truth.lesions.filter((lesion) => lesion.type === type);
    if (lesions.length === 0) {
      continue;
    }
    layers.push({
      name: style.name,
      description: `AI-detected ${style.label.toLowerCase()}`,
      colour: style.colour,
      markers: lesions.map((lesion) => ({
        column: lesion.x + 0.5,
        row: lesion.y + 0.5,
        radius: Math.max(4, 2 * lesion.radiusPx),
      })),
      label:
        type === 'hard-exudate'
          ? {
              text: `${style.label} (${lesions.length})`,
              anchor: { column: lesions[0]!.x, row: lesions[0]!.y },
            }
          : { text: `${style.label} (${lesions.length})` },
    });
  }
  assert.ok(layers.length >= 2, 'the synthetic photograph has at least two kinds of lesion');
  input = {
    study: readSourceStudyContext(fundus.part10),
    image: {
      sopClassUid: fundus.sopClassUid,
      sopInstanceUid: fundus.sopInstanceUid,
      seriesInstanceUid: fundus.seriesInstanceUid,
      eye: 'R',
      rows,
      columns,
    },
    device: {
      uid: '2.25.95308216133416152212390786386358163233',
      name: 'FOVEA-TEST',
      softwareVersion: '0.1.0',
    },
    algorithm: { analyzerId: 'dr-screening', analyzerVersion: '0.4.0', modelHash: 'ab'.repeat(32) },
    seriesInstanceUid: '2.25.184811290775460283806327006046425183402',
    seriesNumber: 9301,
    sopInstanceUid: '2.25.329800735698586384870882153574577155211',
    instanceNumber: 1,
    contentDateTime: new Date('2026-01-10T09:00:06Z'),
    contentLabel: 'AI_LESIONS',
    layers,
  };
  opFile = join(temp, 'source-op.dcm');
  writeFileSync(opFile, fundus.part10);
  prFile = join(temp, 'lesions-pr.dcm');
  writeFileSync(prFile, buildColorPresentationState(input));
  variantFile = join(temp, 'variant-pr.dcm');
  writeFileSync(
    variantFile,
    buildColorPresentationState({
      ...input,
      image: {
        ...input.image,
        pixelSpacingMm: [0.0125, 0.0125],
        iccProfile: buildSrgbIccProfile(),
      },
      contentCreatorName: '',
      layers: input.layers.map((layer) => ({ ...layer, label: undefined, description: undefined })),
    }),
  );
});

describe('colour presentation state content', () => {
  it('reads back (dcmjs) with one CIRCLE per detection on its layer, in PIXEL units', () => {
    const dataset = readPresentationStatePart10(buildColorPresentationState(input));
    assert.equal(dataset.SOPClassUID, colorSoftcopyPresentationStateSopClassUid);
    assert.equal(dataset.SOPClassUID, '1.2.840.10008.5.1.4.1.1.11.2');
    const layers = items(dataset, 'GraphicLayerSequence');
    assert.deepEqual(
      layers.map((layer) => [layer.GraphicLayer, Number(layer.GraphicLayerOrder)]),
      input.layers.map((layer, index) => [layer.name, index + 1]),
    );
    const annotations = items(dataset, 'GraphicAnnotationSequence');
    assert.equal(annotations.length, input.layers.length);
    for (const [index, layer] of input.layers.entries()) {
      const layerItem = layers[index];
      assert.deepEqual(
        numbers(layerItem?.GraphicLayerRecommendedDisplayCIELabValue),
        srgbHexToDicomCielab(layer.colour),
      );
      assert.equal(
        Number(layerItem?.GraphicLayerRecommendedDisplayGrayscaleValue),
        srgbHexToDicomCielab(layer.colour)[0],
      );
      assert.equal(layerItem?.GraphicLayerDescription, layer.description);
      const annotation = annotations[index];
      assert.equal(annotation?.GraphicLayer, layer.name);
      assert.equal(
        items(annotation, 'ReferencedImageSequence')[0]?.ReferencedSOPInstanceUID,
        fundus.sopInstanceUid,
      );
      const graphics = items(annotation, 'GraphicObjectSequence');
      assert.equal(graphics.length, layer.markers.length, `${layer.name} count`);
      for (const [markerIndex, graphic] of graphics.entries()) {
        const marker = layer.markers[markerIndex]!;
        assert.equal(graphic.GraphicType, 'CIRCLE');
        assert.equal(graphic.GraphicAnnotationUnits, 'PIXEL');
        assert.equal(graphic.GraphicFilled, 'N');
        assert.equal(Number(graphic.GraphicDimensions), 2);
        assert.equal(Number(graphic.NumberOfGraphicPoints), 2);
        const data = numbers(graphic.GraphicData);
        assert.deepEqual(data, circleGraphicData(marker, columns, rows).map(Math.fround));
        assert.deepEqual(data.slice(0, 2), [Math.fround(marker.column), Math.fround(marker.row)]);
        assert.ok(
          Math.abs(Math.hypot(data[2]! - data[0]!, data[3]! - data[1]!) - marker.radius) < 1e-3,
          'the second point is on the circumference',
        );
      }
      const text = items(annotation, 'TextObjectSequence')[0];
      assert.equal(text?.UnformattedTextValue, layer.label?.text);
    }
  });

  it('labels a layer with an anchor point or a legend line in DISPLAY units', () => {
    const dataset = readPresentationStatePart10(buildColorPresentationState(input));
    const texts = items(dataset, 'GraphicAnnotationSequence').map(
      (annotation) => items(annotation, 'TextObjectSequence')[0],
    );
    let line = 0;
    for (const [index, layer] of input.layers.entries()) {
      const text = texts[index];
      if (layer.label?.anchor !== undefined) {
        assert.equal(text?.AnchorPointAnnotationUnits, 'PIXEL');
        assert.deepEqual(
          numbers(text?.AnchorPoint),
          [layer.label.anchor.column, layer.label.anchor.row].map(Math.fround),
        );
        assert.equal(text?.AnchorPointVisibility, 'N');
        assert.equal(text?.BoundingBoxTopLeftHandCorner, undefined);
      } else {
        assert.equal(text?.BoundingBoxAnnotationUnits, 'DISPLAY');
        assert.equal(text?.BoundingBoxTextHorizontalJustification, 'LEFT');
        const [left = -1, top = -1] = numbers(text?.BoundingBoxTopLeftHandCorner);
        const [right = -1, bottom = -1] = numbers(text?.BoundingBoxBottomRightHandCorner);
        assert.ok(left >= 0 && top >= 0 && right <= 1 && bottom <= 1 && left < right && top < bottom);
        assert.ok(Math.abs(top - (0.02 + 0.05 * line)) < 1e-6, 'one legend line per labelled layer');
        line += 1;
      }
    }
    assert.ok(line >= 1);
  });

  it('references the photograph, displays all of it scaled to fit, and copies patient and study', () => {
    const dataset = readPresentationStatePart10(buildColorPresentationState(input));
    const source = readNaturalPart10(fundus.part10);
    for (const keyword of [
      'PatientID',
      'IssuerOfPatientID',
      'PatientBirthDate',
      'PatientSex',
      'StudyInstanceUID',
      'StudyDate',
      'StudyTime',
      'StudyID',
      'AccessionNumber',
      'StudyDescription',
    ]) {
      assert.equal(dataset[keyword], source[keyword], keyword);
    }
    assert.equal(personName(dataset.PatientName), personName(source.PatientName));
    assert.equal(dataset.Modality, 'PR');
    assert.equal(dataset.Laterality, source.ImageLaterality);
    assert.equal(dataset.SeriesInstanceUID, input.seriesInstanceUid);
    assert.notEqual(dataset.SeriesInstanceUID, fundus.seriesInstanceUid);
    assert.equal(dataset.Manufacturer, 'Fovea');
    assert.deepEqual(dataset.SoftwareVersions, ['0.1.0', 'dr-screening@0.4.0', 'ab'.repeat(32)]);
    const series = items(dataset, 'ReferencedSeriesSequence');
    assert.equal(series.length, 1);
    assert.equal(series[0]?.SeriesInstanceUID, fundus.seriesInstanceUid);
    const image = items(series[0], 'ReferencedImageSequence');
    assert.equal(image.length, 1);
    assert.equal(image[0]?.ReferencedSOPClassUID, SopClass.OphthalmicPhotography8BitImage);
    assert.equal(image[0]?.ReferencedSOPInstanceUID, fundus.sopInstanceUid);
    assert.equal(image[0]?.ReferencedFrameNumber, undefined);
    const area = items(dataset, 'DisplayedAreaSelectionSequence')[0];
    assert.deepEqual(numbers(area?.DisplayedAreaTopLeftHandCorner), [1, 1]);
    assert.deepEqual(numbers(area?.DisplayedAreaBottomRightHandCorner), [columns, rows]);
    assert.equal(area?.PresentationSizeMode, 'SCALE TO FIT');
    assert.deepEqual(numbers(area?.PresentationPixelAspectRatio), [1, 1]);
    assert.equal(dataset.ContentLabel, 'AI_LESIONS');
    assert.match(String(dataset.ContentDescription), /^AI-generated; not reviewed/u);
    assert.ok(String(dataset.ContentDescription).includes(aiNotReviewedStatement));
    assert.equal(personName(dataset.ContentCreatorName), 'Fovea^dr-screening');
    assert.equal(dataset.PresentationCreationDate, '20260110');
    assert.equal(dataset.PresentationCreationTime, '090006');
    assert.deepEqual(bytesOf(dataset.ICCProfile), buildSrgbIccProfile());
    assert.equal(dataset.ColorSpace, 'SRGB');
  });

  it('is deterministic: the same input gives the same bytes', () => {
    const copy = structuredClone({ ...input, contentDateTime: undefined });
    const again = buildColorPresentationState({ ...copy, contentDateTime: new Date(input.contentDateTime) });
    assert.deepEqual(again, buildColorPresentationState(input));
  });

  it('writes a frame, a true-size pixel spacing and the image own ICC profile when given', () => {
    const ownProfile = buildSrgbIccProfile();
    const dataset = readPresentationStatePart10(
      buildColorPresentationState({
        ...input,
        image: {
          ...input.image,
          sopClassUid: SopClass.VLPhotographicImage,
          frame: 2,
          pixelSpacingMm: [0.0125, 0.0125],
          iccProfile: ownProfile,
        },
      }),
    );
    const reference = items(items(dataset, 'ReferencedSeriesSequence')[0], 'ReferencedImageSequence')[0];
    assert.equal(reference?.ReferencedSOPClassUID, SopClass.VLPhotographicImage);
    assert.deepEqual(numbers(reference?.ReferencedFrameNumber), [2]);
    const area = items(dataset, 'DisplayedAreaSelectionSequence')[0];
    assert.deepEqual(numbers(area?.PresentationPixelSpacing), [0.0125, 0.0125]);
    assert.equal(area?.PresentationPixelAspectRatio, undefined);
    assert.deepEqual(bytesOf(dataset.ICCProfile), ownProfile);
    assert.equal(dataset.ColorSpace, undefined, 'the Color Space of a foreign profile is not known');
  });

  it('puts the circumference point inside the image next to an edge', () => {
    assert.deepEqual(circleGraphicData({ column: 10, row: 20, radius: 5 }, 100, 50), [10, 20, 15, 20]);
    assert.deepEqual(circleGraphicData({ column: 98, row: 20, radius: 5 }, 100, 50), [98, 20, 93, 20]);
    assert.deepEqual(circleGraphicData({ column: 50, row: 10, radius: 60 }, 100, 100), [50, 10, 50, 70]);
    assert.throws(
      () => circleGraphicData({ column: 50, row: 50, radius: 80 }, 100, 100),
      isPrInvalid(/circumference/u),
    );
  });

  it('rejects input that cannot make a conformant presentation state (FOVEA_PR_INVALID)', () => {
    const first = input.layers[0]!;
    const withLayers = (layers: PrLayer[]): ColorPresentationStateInput => ({ ...input, layers });
    const withFirst = (layer: Partial<PrLayer>): ColorPresentationStateInput =>
      withLayers([{ ...first, ...layer }, ...input.layers.slice(1)]);
    const cases: [string, ColorPresentationStateInput, RegExp][] = [
      ['no layers', withLayers([]), /at least one graphic layer/u],
      [
        'too many layers',
        withLayers(
          Array.from({ length: maxPresentationLayers + 1 }, (_, index) => ({
            ...first,
            name: `L${index}`,
            label: undefined,
          })),
        ),
        /at most 16/u,
      ],
      ['empty layer', withFirst({ markers: [] }), /no markers/u],
      ['lower-case layer name', withFirst({ name: 'Microaneurysm' }), /Graphic Layer must be/u],
      ['layer name too long', withFirst({ name: 'MICROANEURYSMS_AND_MORE' }), /Graphic Layer must be/u],
      ['layer name with trailing space', withFirst({ name: 'MA ' }), /Graphic Layer must be/u],
      ['duplicate layer', withLayers([first, first]), /appears twice/u],
      ['bad colour', withFirst({ colour: 'red' }), /sRGB hex/u],
      [
        'marker right of the image',
        withFirst({ markers: [{ column: columns + 1, row: 10, radius: 3 }] }),
        /outside/u,
      ],
      ['marker above the image', withFirst({ markers: [{ column: 10, row: -0.5, radius: 3 }] }), /outside/u],
      [
        'marker not a number',
        withFirst({ markers: [{ column: Number.NaN, row: 10, radius: 3 }] }),
        /finite/u,
      ],
      [
        'zero radius',
        withFirst({ markers: [{ column: 10, row: 10, radius: 0 }] }),
        /radius must be positive/u,
      ],
      [
        'anchor outside',
        withFirst({ label: { text: 'x', anchor: { column: 10, row: rows + 5 } } }),
        /anchor .* outside/u,
      ],
      ['empty label', withFirst({ label: { text: ' ' } }), /empty label/u],
      ['description too long', withFirst({ description: 'x'.repeat(65) }), /longer than 64/u],
      ['content label', { ...input, contentLabel: 'ai lesions' }, /Content Label/u],
      [
        'not an image',
        { ...input, image: { ...input.image, sopClassUid: SopClass.ComprehensiveSR } },
        /not an image/u,
      ],
      ['bad UID', { ...input, sopInstanceUid: '1.02.3' }, /not a valid UID/u],
      ['no eye', { ...input, image: { ...input.image, eye: 'B' as 'R' } }, /right or the left eye/u],
      ['rows', { ...input, image: { ...input.image, rows: 0 } }, /source rows/u],
      [
        'model hash',
        { ...input, algorithm: { ...input.algorithm, modelHash: 'f'.repeat(65) } },
        /model hash/u,
      ],
      [
        'bad ICC profile',
        { ...input, image: { ...input.image, iccProfile: new Uint8Array(200) } },
        /ICC profile/u,
      ],
      ['bad date', { ...input, contentDateTime: new Date(Number.NaN) }, /date/u],
    ];
    for (const [name, bad, pattern] of cases) {
      assert.throws(() => buildColorPresentationState(bad), isPrInvalid(pattern), name);
    }
  });
});

describe('colour presentation state with peers', () => {
  it('passes dciodvfy with zero Error and zero Warning lines', (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    for (const file of [prFile, variantFile]) {
      const output = run('dciodvfy', [file]).output;
      const lines = output.split('\n');
      assert.ok(lines.includes('ColorSoftcopyPresentationState'), output);
      assert.deepEqual(
        lines.filter((line) => line.startsWith('Error') || line.startsWith('Warning')),
        [],
        output,
      );
    }
  });

  it('is consistent with its photograph (dcentvfy: same patient and study)', (t) => {
    if (!requirePeer(t, 'dciodvfy', which('dcentvfy') !== undefined)) {
      return;
    }
    const result = run('dcentvfy', [prFile, opFile]);
    assert.deepEqual(
      result.output.split('\n').filter((line) => line.startsWith('Error')),
      [],
      result.output,
    );
  });

  it('reads in DCMTK dcmdump and passes dcmpschk (meta header and data dictionary checks)', (t) => {
    if (!requirePeer(t, 'dcmtk', which('dcmpschk') !== undefined)) {
      return;
    }
    const dump = run('dcmdump', ['+P', 'SOPClassUID', '+P', 'GraphicType', '+P', 'GraphicLayer', prFile]);
    assert.equal(dump.status, 0, dump.output);
    assert.match(dump.stdout, /=ColorSoftcopyPresentationStateStorage/u);
    const circles = dump.stdout.split('\n').filter((line) => line.includes('CS [CIRCLE]'));
    assert.equal(
      circles.length,
      input.layers.reduce((sum, layer) => sum + layer.markers.length, 0),
    );
    assert.doesNotMatch(dump.output, /E: |W: /u);
    const check = run('dcmpschk', ['-v', prFile]);
    assert.match(check.output, /Test passed/u, check.output);
    assert.doesNotMatch(check.output, /^E: /mu, check.output);
  });
});
