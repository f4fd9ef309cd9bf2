/**
 * Contact sheets for looking at synthetic images side by side (PNG via sharp), and the visual field
 * grey-scale map as perimeters print it (darker = less sensitive, in 5-dB steps).
 */
import sharp from 'sharp';
import type { OverlayOptions } from 'sharp';
import type { VfTestValues } from './visual-field.ts';

/** One image of a contact sheet. */
export interface SheetTile {
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

/** Options of {@link renderContactSheet}. */
export interface ContactSheetOptions {
  readonly columns?: number;
  /** Width and height of each cell (the image is fitted inside, keeping its aspect ratio). */
  readonly cellWidth?: number;
  readonly cellHeight?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders tiles into one labelled PNG. */
export async function renderContactSheet(
  tiles: readonly SheetTile[],
  options: ContactSheetOptions = {},
): Promise<Buffer> {
  const columns = options.columns ?? 4;
  const cellWidth = options.cellWidth ?? 512;
  const cellHeight = options.cellHeight ?? 420;
  const labelHeight = 28;
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * cellWidth;
  const height = rows * (cellHeight + labelHeight);
  const composites: OverlayOptions[] = [];
  for (const [i, tile] of tiles.entries()) {
    const x = (i % columns) * cellWidth;
    const y = Math.floor(i / columns) * (cellHeight + labelHeight);
    const image = await sharp(tile.pixels, {
      raw: { width: tile.width, height: tile.height, channels: tile.channels },
    })
      .resize(cellWidth - 8, cellHeight - 8, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
      .png()
      .toBuffer();
    composites.push({ input: image, left: x + 4, top: y + labelHeight + 4 });
    const svg = `<svg width="${cellWidth}" height="${labelHeight}"><text x="6" y="20" font-family="sans-serif" font-size="16" fill="#e8e8e8">${escapeXml(tile.label)}</text></svg>`;
    composites.push({ input: Buffer.from(svg), left: x, top: y });
  }
  return sharp({ create: { width, height, channels: 3, background: { r: 24, g: 24, b: 28 } } })
    .composite(composites)
    .png()
    .toBuffer();
}

/**
 * The grey-scale map of a visual field test, as perimeters print it: sensitivities interpolated between
 * the test locations over the tested area, white at ≥ 35 dB down to black below 5 dB in 5-dB steps;
 * outside the tested area the map is white.
 */
export function visualFieldGreyscale(values: VfTestValues, size = 420): SheetTile {
  const pixels = new Uint8Array(size * size).fill(255);
  const spacing = values.pattern === '24-2' ? 6 : 2;
  const offset = spacing / 2;
  const extent = values.pattern === '24-2' ? 30 : 10;
  const scale = size / (2 * extent);
  // Sensitivities on the regular grid the locations lie on (offset half a spacing from the meridians).
  const grid = new Map<string, number>();
  for (const point of values.points) {
    grid.set(
      `${Math.round((point.x - offset) / spacing)},${Math.round((point.y - offset) / spacing)}`,
      point.measuredDb,
    );
  }
  for (let py = 0; py < size; py++) {
    const y = extent - (py + 0.5) / scale;
    for (let px = 0; px < size; px++) {
      const x = -extent + (px + 0.5) / scale;
      const gx = (x - offset) / spacing;
      const gy = (y - offset) / spacing;
      // Only inside the tested area (the union of the locations' cells).
      if (!grid.has(`${Math.round(gx)},${Math.round(gy)}`)) {
        continue;
      }
      const ix = Math.floor(gx);
      const iy = Math.floor(gy);
      const fx = gx - ix;
      const fy = gy - iy;
      let sum = 0;
      let weight = 0;
      for (const [dx, dy, w] of [
        [0, 0, (1 - fx) * (1 - fy)],
        [1, 0, fx * (1 - fy)],
        [0, 1, (1 - fx) * fy],
        [1, 1, fx * fy],
      ] as const) {
        const value = grid.get(`${ix + dx},${iy + dy}`);
        if (value !== undefined) {
          sum += w * value;
          weight += w;
        }
      }
      const db = sum / weight;
      const step = Math.max(0, Math.min(7, Math.floor(db / 5)));
      // Perimeter grey scales use symbol patterns; a checker dither at mid levels gives the same texture.
      const level = (step / 7) * 255;
      const dither = step > 0 && step < 7 && (px + py) % 3 === 0 ? 40 : 0;
      pixels[py * size + px] = Math.max(0, Math.min(255, level - dither));
    }
  }
  for (let i = 0; i < size; i++) {
    pixels[Math.floor(size / 2) * size + i] = 110;
    pixels[i * size + Math.floor(size / 2)] = 110;
  }
  return {
    label: `VF ${values.pattern} ${values.eye === 'R' ? 'OD' : 'OS'} MD ${values.meanDeviationDb} dB`,
    width: size,
    height: size,
    channels: 1,
    pixels,
  };
}
