/**
 * AI lesion detections as a Color Softcopy Presentation State over a colour fundus photograph: one graphic
 * layer per kind of detection, each with its recommended display colour (CIELab), a circle per detection and an
 * optional text label; the whole image displayed scaled to fit; an ICC profile that says how to show the image.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.33.2.html (Color Softcopy Presentation State IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.5.html (Graphic Annotation)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.7.html (Graphic Layer)
 */
import type { NaturalDataset } from 'dcmjs';
import { patientStudyModule, SopClass, sopClassInfo, type SourcePatientStudy } from '../codec/index.ts';
import { buildSrgbIccProfile, parseIccProfile } from './icc-profile.ts';
import {
  checkCodeString,
  checkPrText,
  formatDa,
  formatDs,
  formatTm,
  positiveInteger,
  prInvalid,
  requirePrUid,
  writePrPart10,
} from './part10.ts';
import { encodeDicomCielab, srgbHexToCielab } from './srgb.ts';

/** Color Softcopy Presentation State Storage. */
export const colorSoftcopyPresentationStateSopClassUid = SopClass.ColorSoftcopyPresentationState;

/** The most graphic layers one presentation state holds (the legend of text labels has room for this many). */
export const maxPresentationLayers = 16;

/** The phrase an unreviewed Fovea presentation state carries in its Content Description. */
export const aiNotReviewedStatement = 'AI-generated; not reviewed';

/** The phrase of a presentation state whose marks a clinician reviewed (rejected marks left out). */
export const aiReviewedStatement = 'AI-generated; clinician-reviewed';

/** The patient and study of the source image (the same shape as the SEG and SR writers' source study). */
export type PrSourceStudy = SourcePatientStudy;

/** The colour image the presentation state applies to. */
export interface PrSourceImage {
  /** An image storage class, e.g. Ophthalmic Photography 8 Bit or VL Photographic. */
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Image Laterality of the photograph; the presentation state's series Laterality. */
  readonly eye: 'R' | 'L';
  readonly rows: number;
  readonly columns: number;
  /** The frame (1-based) of a multi-frame image the annotations belong to; omit for a single-frame image. */
  readonly frame?: number;
  /**
   * Pixel Spacing of the image (row spacing, column spacing), mm. When given it becomes the Presentation Pixel
   * Spacing, so a viewer can show the image at true size; otherwise the pixels are declared square (1:1).
   */
  readonly pixelSpacingMm?: readonly [number, number];
  /**
   * The image's own ICC profile (from its ICC Profile module), when it has one; default Fovea's sRGB profile,
   * the colour space a fundus camera without a profile is assumed to record in.
   */
  readonly iccProfile?: Uint8Array;
}

/** The Fovea installation that writes the presentation state (the same shape as the SEG writer's device). */
export interface PrDevice {
  readonly uid: string;
  readonly name: string;
  readonly softwareVersion: string;
  readonly serialNumber?: string;
  readonly institutionName?: string;
}

/** The algorithm that made the detections (its analyzer id, version and model hash). */
export interface PrAlgorithm {
  readonly analyzerId: string;
  readonly analyzerVersion: string;
  /** SHA-256 of the model as hex (at most 64 characters), or empty. */
  readonly modelHash: string;
}

/**
 * A position in the image in DICOM PIXEL annotation units: sub-pixel, origin at the top left corner of the top
 * left pixel, so the centre of the pixel at zero-based column i, row j is (i + 0.5, j + 0.5) and the bottom right
 * corner of the image is (Columns, Rows).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.5.html#sect_C.10.5.1.2
 */
export interface PrPoint {
  readonly column: number;
  readonly row: number;
}

/** One detection drawn as a circle around it. */
export interface PrCircleMarker extends PrPoint {
  /** Radius in pixels (> 0). */
  readonly radius: number;
}

/**
 * The text of a layer. With an anchor, the text is attached to that point of the image (PIXEL units, anchor
 * line not shown); without, it is a legend line at the top left of the displayed area (DISPLAY units), one line
 * per labelled layer in layer order.
 */
export interface PrTextLabel {
  readonly text: string;
  readonly anchor?: PrPoint;
}

/** One graphic layer: one kind of detection, one colour. */
export interface PrLayer {
  /** Graphic Layer: a Code String (A–Z, 0–9, space, underscore; at most 16), unique in the presentation state. */
  readonly name: string;
  /** Graphic Layer Description (at most 64 characters). */
  readonly description?: string;
  /** The recommended display colour as sRGB hex (`#RRGGBB`); written as CIELab PCS-Values. */
  readonly colour: string;
  /** At least one. */
  readonly markers: readonly PrCircleMarker[];
  readonly label?: PrTextLabel;
}

/** What a colour presentation state is built from. The same input always gives byte-identical output. */
export interface ColorPresentationStateInput {
  readonly study: PrSourceStudy;
  readonly image: PrSourceImage;
  readonly device: PrDevice;
  readonly algorithm: PrAlgorithm;
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  /** Presentation Creation Date/Time, Instance Creation Date/Time (UTC). */
  readonly contentDateTime: Date;
  /** Content Label: a Code String, e.g. `AI_LESIONS`. */
  readonly contentLabel: string;
  /** Content Creator's Name (PN); default `Fovea^<analyzer id>`. */
  readonly contentCreatorName?: string;
  /**
   * The clinician (PN) who reviewed the marks: the Content Description then says clinician-reviewed instead of
   * not reviewed, and the reviewer is the Content Creator unless `contentCreatorName` is given.
   */
  readonly reviewedBy?: string;
  /** Default "AI lesion overlay (Fovea)". */
  readonly seriesDescription?: string;
  /** At least one, at most {@link maxPresentationLayers}; drawn in this order (the first at the bottom). */
  readonly layers: readonly PrLayer[];
}

/** The legend of labels without an anchor, in DISPLAY units (fractions of the displayed area). */
const legend = { left: 0.02, top: 0.02, right: 0.5, lineHeight: 0.05, boxHeight: 0.045 } as const;

function pn(value: string, what: string): unknown[] {
  checkPrText(value, 64 * 3 + 2, what);
  return value === '' ? [] : [{ Alphabetic: value }];
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) {
    throw prInvalid(`${what} is not a finite number`);
  }
  return value;
}

function inside(point: PrPoint, image: PrSourceImage, what: string): void {
  const column = finite(point.column, `${what} column`);
  const row = finite(point.row, `${what} row`);
  if (column < 0 || column > image.columns || row < 0 || row > image.rows) {
    throw prInvalid(`${what} (${column}, ${row}) is outside the ${image.columns} × ${image.rows} image`);
  }
}

/**
 * The Graphic Data of a CIRCLE: the centre, then a point on the circumference — to the right of the centre, or
 * the first of left, below, above that stays inside the image.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.10.5.html#sect_C.10.5.1.2
 */
export function circleGraphicData(marker: PrCircleMarker, columns: number, rows: number): number[] {
  const { column, row, radius } = marker;
  const candidates: readonly (readonly [number, number])[] = [
    [column + radius, row],
    [column - radius, row],
    [column, row + radius],
    [column, row - radius],
  ];
  const edge = candidates.find(([x, y]) => x >= 0 && x <= columns && y >= 0 && y <= rows);
  if (edge === undefined) {
    throw prInvalid(
      `a circle of radius ${radius} at (${column}, ${row}) has no circumference point in the image`,
    );
  }
  return [column, row, edge[0], edge[1]];
}

function imageReference(image: PrSourceImage): NaturalDataset {
  const reference: NaturalDataset = {
    ReferencedSOPClassUID: image.sopClassUid,
    ReferencedSOPInstanceUID: image.sopInstanceUid,
  };
  if (image.frame !== undefined) {
    reference.ReferencedFrameNumber = [image.frame];
  }
  return reference;
}

function checkImage(image: PrSourceImage): void {
  requirePrUid(image.sopClassUid, 'source SOP Class UID');
  if (sopClassInfo(image.sopClassUid)?.kind !== 'image') {
    throw prInvalid(`source SOP Class ${image.sopClassUid} is not an image storage class`);
  }
  requirePrUid(image.sopInstanceUid, 'source SOP Instance UID');
  requirePrUid(image.seriesInstanceUid, 'source Series Instance UID');
  const eye: string = image.eye;
  if (eye !== 'R' && eye !== 'L') {
    throw prInvalid('the source image must be of the right or the left eye');
  }
  positiveInteger(image.rows, 'source rows', 0xffff);
  positiveInteger(image.columns, 'source columns', 0xffff);
  if (image.frame !== undefined) {
    positiveInteger(image.frame, 'source frame');
  }
  if (image.pixelSpacingMm !== undefined && image.pixelSpacingMm.some((spacing) => !(spacing > 0))) {
    throw prInvalid('source pixel spacing must be positive');
  }
}

function textObject(
  label: PrTextLabel,
  legendLine: number,
  image: PrSourceImage,
  layer: string,
): NaturalDataset {
  const text = checkPrText(label.text, 1024, `layer ${layer} label`);
  if (text.trim() === '') {
    throw prInvalid(`layer ${layer} has an empty label`);
  }
  if (label.anchor !== undefined) {
    inside(label.anchor, image, `layer ${layer} label anchor`);
    return {
      AnchorPointAnnotationUnits: 'PIXEL',
      UnformattedTextValue: text,
      AnchorPoint: [label.anchor.column, label.anchor.row],
      AnchorPointVisibility: 'N',
    };
  }
  const top = legend.top + legendLine * legend.lineHeight;
  return {
    BoundingBoxAnnotationUnits: 'DISPLAY',
    UnformattedTextValue: text,
    BoundingBoxTopLeftHandCorner: [legend.left, top],
    BoundingBoxBottomRightHandCorner: [legend.right, top + legend.boxHeight],
    BoundingBoxTextHorizontalJustification: 'LEFT',
  };
}

/** The Software Versions: Fovea's version, the analyzer `id@version`, and the model hash when there is one. */
function softwareVersions(device: PrDevice, algorithm: PrAlgorithm): string[] {
  const values = [
    checkPrText(device.softwareVersion, 64, 'device software version'),
    checkPrText(`${algorithm.analyzerId}@${algorithm.analyzerVersion}`, 64, 'analyzer id@version'),
  ];
  if (algorithm.modelHash !== '') {
    values.push(checkPrText(algorithm.modelHash, 64, 'model hash'));
  }
  return values;
}

function contentDescription(algorithm: PrAlgorithm, reviewed: boolean): string {
  const statement = reviewed ? aiReviewedStatement : aiNotReviewedStatement;
  const long = `${statement} (${algorithm.analyzerId}@${algorithm.analyzerVersion})`;
  return long.length <= 64 ? long : statement;
}

/**
 * Builds the Color Softcopy Presentation State data set.
 * @throws FoveaError `FOVEA_PR_INVALID` when the input cannot make a conformant presentation state.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.33.2.html
 */
export function buildColorPresentationStateDataset(input: ColorPresentationStateInput): NaturalDataset {
  const { image, algorithm, device } = input;
  checkImage(image);
  if (algorithm.analyzerId === '' || algorithm.analyzerVersion === '') {
    throw prInvalid('the algorithm needs its analyzer id and version');
  }
  const when = input.contentDateTime;
  if (Number.isNaN(when.getTime())) {
    throw prInvalid('invalid content date/time');
  }
  if (input.layers.length === 0) {
    throw prInvalid('a presentation state needs at least one graphic layer');
  }
  if (input.layers.length > maxPresentationLayers) {
    throw prInvalid(`at most ${maxPresentationLayers} graphic layers, got ${input.layers.length}`);
  }
  const names = new Set<string>();
  const layerItems: NaturalDataset[] = [];
  const annotationItems: NaturalDataset[] = [];
  let legendLine = 0;
  for (const [index, layer] of input.layers.entries()) {
    const name = checkCodeString(layer.name, 'Graphic Layer');
    if (names.has(name)) {
      throw prInvalid(`graphic layer ${name} appears twice`);
    }
    names.add(name);
    if (layer.markers.length === 0) {
      throw prInvalid(`graphic layer ${name} has no markers`);
    }
    const lab = encodeDicomCielab(srgbHexToCielab(layer.colour, 'D50'));
    const layerItem: NaturalDataset = {
      GraphicLayer: name,
      GraphicLayerOrder: index + 1,
      GraphicLayerRecommendedDisplayGrayscaleValue: lab[0],
      GraphicLayerRecommendedDisplayCIELabValue: lab,
    };
    if (layer.description !== undefined && layer.description !== '') {
      layerItem.GraphicLayerDescription = checkPrText(layer.description, 64, `layer ${name} description`);
    }
    layerItems.push(layerItem);
    const graphics = layer.markers.map((marker, markerIndex) => {
      const what = `layer ${name} marker ${markerIndex + 1}`;
      inside(marker, image, what);
      if (!(finite(marker.radius, `${what} radius`) > 0)) {
        throw prInvalid(`${what} radius must be positive`);
      }
      return {
        GraphicAnnotationUnits: 'PIXEL',
        GraphicDimensions: 2,
        NumberOfGraphicPoints: 2,
        GraphicData: circleGraphicData(marker, image.columns, image.rows),
        GraphicType: 'CIRCLE',
        GraphicFilled: 'N',
      };
    });
    const annotation: NaturalDataset = {
      ReferencedImageSequence: [imageReference(image)],
      GraphicLayer: name,
      GraphicObjectSequence: graphics,
    };
    if (layer.label !== undefined) {
      annotation.TextObjectSequence = [textObject(layer.label, legendLine, image, name)];
      if (layer.label.anchor === undefined) {
        legendLine += 1;
      }
    }
    annotationItems.push(annotation);
  }
  const iccProfile = image.iccProfile ?? buildSrgbIccProfile();
  parseIccProfile(iccProfile);
  const displayedArea: NaturalDataset = {
    ReferencedImageSequence: [imageReference(image)],
    DisplayedAreaTopLeftHandCorner: [1, 1],
    DisplayedAreaBottomRightHandCorner: [image.columns, image.rows],
    PresentationSizeMode: 'SCALE TO FIT',
  };
  if (image.pixelSpacingMm === undefined) {
    displayedArea.PresentationPixelAspectRatio = [1, 1];
  } else {
    displayedArea.PresentationPixelSpacing = image.pixelSpacingMm.map(formatDs);
  }
  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: colorSoftcopyPresentationStateSopClassUid,
    SOPInstanceUID: requirePrUid(input.sopInstanceUid, 'SOP Instance UID'),
    InstanceCreationDate: formatDa(when),
    InstanceCreationTime: formatTm(when),
    TimezoneOffsetFromUTC: '+0000',
    ...patientStudyModule(input.study, { text: checkPrText, uid: requirePrUid }),
    Modality: 'PR',
    Laterality: image.eye,
    SeriesInstanceUID: requirePrUid(input.seriesInstanceUid, 'Series Instance UID'),
    SeriesNumber: positiveInteger(input.seriesNumber, 'Series Number'),
    SeriesDescription: checkPrText(
      input.seriesDescription ?? 'AI lesion overlay (Fovea)',
      64,
      'SeriesDescription',
    ),
    Manufacturer: 'Fovea',
    ManufacturerModelName: 'Fovea',
    DeviceSerialNumber: checkPrText(device.serialNumber ?? device.uid, 64, 'DeviceSerialNumber'),
    SoftwareVersions: softwareVersions(device, algorithm),
    InstanceNumber: positiveInteger(input.instanceNumber, 'Instance Number'),
    ContentLabel: checkCodeString(input.contentLabel, 'Content Label'),
    ContentDescription: contentDescription(algorithm, input.reviewedBy !== undefined),
    ContentCreatorName: pn(
      input.contentCreatorName ?? input.reviewedBy ?? `Fovea^${algorithm.analyzerId}`,
      'ContentCreatorName',
    ),
    PresentationCreationDate: formatDa(when),
    PresentationCreationTime: formatTm(when),
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: image.seriesInstanceUid,
        ReferencedImageSequence: [imageReference(image)],
      },
    ],
    DisplayedAreaSelectionSequence: [displayedArea],
    GraphicAnnotationSequence: annotationItems,
    GraphicLayerSequence: layerItems,
    ICCProfile: [iccProfile.slice().buffer],
    _vrMap: { ICCProfile: 'OB' },
  };
  if (image.iccProfile === undefined) {
    // C.11.15: Color Space names the well-known space the profile describes; Fovea's own profile is sRGB.
    dataset.ColorSpace = 'SRGB';
  }
  if (device.institutionName !== undefined && device.institutionName !== '') {
    dataset.InstitutionName = checkPrText(device.institutionName, 64, 'InstitutionName');
  }
  return dataset;
}

/**
 * Builds a Color Softcopy Presentation State that marks AI detections on a colour photograph: a Part 10 file
 * (Explicit VR Little Endian) in the source study, new series (Modality `PR`). Deterministic: the same input
 * gives the same bytes, so a retried delivery resends the identical instance.
 * @throws FoveaError `FOVEA_PR_INVALID` when the input cannot make a conformant presentation state.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.33.2.html
 */
export function buildColorPresentationState(input: ColorPresentationStateInput): Uint8Array {
  return writePrPart10(buildColorPresentationStateDataset(input));
}
