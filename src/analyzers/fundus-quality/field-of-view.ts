/**
 * Field-of-view detection: the bright disc of retina that a fundus camera leaves inside a black frame. A
 * threshold on brightness gives a mask; a circle fitted to the mask's edge (ignoring the parts cut by the
 * frame) gives the field's centre and radius, hence how much of it the frame shows.
 */
import {
  countMask,
  dilateMask,
  fillHoles,
  largestComponent,
  maskedPercentiles,
  openMask,
  type Mask,
  type Plane,
} from '../../imaging/index.ts';
import { parameters } from './parameters.ts';

/** The located field of view, in the pixels of the plane it was found on. */
export interface FieldOfView {
  /** Whether a circular field boundary was found. */
  readonly found: boolean;
  readonly centreX: number;
  readonly centreY: number;
  readonly radius: number;
  /** Brightness threshold that separated retina from background. */
  readonly threshold: number;
  /** Share of the fitted circle's area that lies inside the frame (1 = nothing cut). */
  readonly visibleFraction: number;
  /** Share of the frame covered by the visible part of the circle. */
  readonly frameFraction: number;
  /** Distance from the frame centre to the circle centre, in radii. */
  readonly centreOffset: number;
  /**
   * Median brightness of the frame outside the field (the unlit surround, normally black); 0 when less than
   * `minBackgroundFraction` of the frame lies outside.
   */
  readonly backgroundLevel: number;
  /** Retina pixels (largest bright component, holes filled). */
  readonly mask: Mask;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Least-squares circle through points (Kåsa's algebraic fit); undefined when degenerate. */
function fitCircle(points: readonly Point[]): { x: number; y: number; r: number } | undefined {
  if (points.length < 3) {
    return undefined;
  }
  // Centre the coordinates for numerical stability.
  let mx = 0;
  let my = 0;
  for (const p of points) {
    mx += p.x;
    my += p.y;
  }
  mx /= points.length;
  my /= points.length;
  let suu = 0;
  let svv = 0;
  let suv = 0;
  let suuu = 0;
  let svvv = 0;
  let suvv = 0;
  let svuu = 0;
  for (const p of points) {
    const u = p.x - mx;
    const v = p.y - my;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    suuu += u * u * u;
    svvv += v * v * v;
    suvv += u * v * v;
    svuu += v * u * u;
  }
  const determinant = suu * svv - suv * suv;
  if (Math.abs(determinant) < 1e-9) {
    return undefined;
  }
  const a = (suuu + suvv) / 2;
  const b = (svvv + svuu) / 2;
  const uc = (a * svv - b * suv) / determinant;
  const vc = (b * suu - a * suv) / determinant;
  const r = Math.sqrt(uc * uc + vc * vc + (suu + svv) / points.length);
  return Number.isFinite(r) ? { x: uc + mx, y: vc + my, r } : undefined;
}

/** Solves the 3 × 3 system `m · v = rhs` by Cramer's rule; undefined when singular. */
function solve3(m: readonly number[], rhs: readonly number[]): [number, number, number] | undefined {
  const [a, b, c, d, e, f, g, h, k] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
  if (Math.abs(det) < 1e-12) {
    return undefined;
  }
  const [r0, r1, r2] = rhs as [number, number, number];
  return [
    (r0 * (e * k - f * h) - b * (r1 * k - f * r2) + c * (r1 * h - e * r2)) / det,
    (a * (r1 * k - f * r2) - r0 * (d * k - f * g) + c * (d * r2 - r1 * g)) / det,
    (a * (e * r2 - r1 * h) - b * (d * r2 - r1 * g) + r0 * (d * h - e * g)) / det,
  ];
}

/**
 * Refines a circle by Gauss–Newton on the geometric distances: the algebraic fit shrinks circles fitted to
 * short arcs, which is what a field shifted off the frame leaves.
 */
function refineCircle(
  points: readonly Point[],
  start: { x: number; y: number; r: number },
): { x: number; y: number; r: number } {
  let { x: cx, y: cy, r } = start;
  for (let iteration = 0; iteration < 20; iteration++) {
    const normal = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const rhs = [0, 0, 0];
    for (const p of points) {
      const d = Math.max(1e-9, Math.hypot(p.x - cx, p.y - cy));
      const residual = d - r;
      const j = [(cx - p.x) / d, (cy - p.y) / d, -1];
      for (let row = 0; row < 3; row++) {
        rhs[row]! -= j[row]! * residual;
        for (let column = 0; column < 3; column++) {
          normal[3 * row + column]! += j[row]! * j[column]!;
        }
      }
    }
    const step = solve3(normal, rhs);
    if (step === undefined) {
      break;
    }
    cx += step[0];
    cy += step[1];
    r += step[2];
    if (Math.abs(step[0]) + Math.abs(step[1]) + Math.abs(step[2]) < 1e-3) {
      break;
    }
  }
  return Number.isFinite(cx + cy + r) && r > 0 ? { x: cx, y: cy, r } : start;
}

/** Fits a circle and refits twice without the points farthest from it (notches, glare, eyelids). */
function robustCircle(points: readonly Point[]): { x: number; y: number; r: number } | undefined {
  let kept = points;
  let circle = fitCircle(kept);
  for (let round = 0; round < 3 && circle !== undefined; round++) {
    const fitted = circle;
    const residuals = kept.map((p) => Math.abs(Math.hypot(p.x - fitted.x, p.y - fitted.y) - fitted.r));
    const sorted = [...residuals].sort((x, y) => x - y);
    const limit = Math.max(1.5, 2.5 * sorted[Math.floor(sorted.length / 2)]!);
    const next = kept.filter((_, i) => residuals[i]! <= limit);
    if (next.length === kept.length || next.length < parameters.fieldOfView.minEdgePoints) {
      break;
    }
    kept = next;
    circle = fitCircle(kept);
  }
  return circle === undefined ? undefined : refineCircle(kept, circle);
}

/** Edge points of the mask (first and last set pixel of each row and column), except where the frame cuts. */
function edgePoints(mask: Mask): Point[] {
  const { width, height, data } = mask;
  const points: Point[] = [];
  for (let y = 0; y < height; y++) {
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] !== 0) {
        if (first < 0) {
          first = x;
        }
        last = x;
      }
    }
    if (first > 1) {
      points.push({ x: first - 0.5, y: y + 0.5 });
    }
    if (last >= 0 && last < width - 2) {
      points.push({ x: last + 1.5, y: y + 0.5 });
    }
  }
  for (let x = 0; x < width; x++) {
    let first = -1;
    let last = -1;
    for (let y = 0; y < height; y++) {
      if (data[y * width + x] !== 0) {
        if (first < 0) {
          first = y;
        }
        last = y;
      }
    }
    if (first > 1) {
      points.push({ x: x + 0.5, y: first - 0.5 });
    }
    if (last >= 0 && last < height - 2) {
      points.push({ x: x + 0.5, y: last + 1.5 });
    }
  }
  return points;
}

/** Area of a circle that lies inside the `width × height` frame, by rows. */
function areaInFrame(cx: number, cy: number, r: number, width: number, height: number): number {
  let area = 0;
  const top = Math.max(0, Math.floor(cy - r));
  const bottom = Math.min(height, Math.ceil(cy + r));
  for (let y = top; y < bottom; y++) {
    const dy = y + 0.5 - cy;
    if (Math.abs(dy) >= r) {
      continue;
    }
    const half = Math.sqrt(r * r - dy * dy);
    area += Math.max(0, Math.min(width, cx + half) - Math.max(0, cx - half));
  }
  return area;
}

/** Median brightness outside the (dilated) field mask, or 0 when too little of the frame is outside. */
function surroundLevel(brightness: Plane, mask: Mask): number {
  const settings = parameters.fieldOfView;
  const outside = dilateMask(mask, settings.surroundMargin);
  for (let i = 0; i < outside.data.length; i++) {
    outside.data[i] = outside.data[i] === 0 ? 1 : 0;
  }
  if (countMask(outside) < settings.minBackgroundFraction * outside.data.length) {
    return 0;
  }
  return maskedPercentiles(brightness, outside, [0.5])[0] ?? 0;
}

/**
 * Locates the field of view on a brightness plane (per pixel the largest of R, G and B, in [0, 1]).
 */
export function detectFieldOfView(brightness: Plane): FieldOfView {
  const { width, height } = brightness;
  const settings = parameters.fieldOfView;
  const [background, bright] = maskedPercentiles(brightness, undefined, [
    settings.backgroundPercentile,
    settings.retinaPercentile,
  ]) as [number, number];
  const threshold = background + Math.max(settings.minStep, settings.relativeStep * (bright - background));
  const raw: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < raw.data.length; i++) {
    raw.data[i] = brightness.data[i]! > threshold ? 1 : 0;
  }
  const mask = fillHoles(largestComponent(openMask(raw, settings.openingRadius)));
  const area = countMask(mask);
  const backgroundLevel = surroundLevel(brightness, mask);
  const points = edgePoints(mask);
  const circle = points.length >= settings.minEdgePoints ? robustCircle(points) : undefined;
  const frameArea = width * height;
  if (circle === undefined || area === 0 || circle.r < settings.minRadiusFraction * Math.min(width, height)) {
    return {
      found: false,
      centreX: width / 2,
      centreY: height / 2,
      radius: Math.hypot(width, height) / 2,
      threshold,
      visibleFraction: 0,
      frameFraction: area / frameArea,
      centreOffset: 0,
      backgroundLevel,
      mask,
    };
  }
  const visibleArea = areaInFrame(circle.x, circle.y, circle.r, width, height);
  return {
    found: true,
    centreX: circle.x,
    centreY: circle.y,
    radius: circle.r,
    threshold,
    visibleFraction: Math.min(1, visibleArea / (Math.PI * circle.r * circle.r)),
    frameFraction: visibleArea / frameArea,
    centreOffset: Math.hypot(circle.x - width / 2, circle.y - height / 2) / circle.r,
    backgroundLevel,
    mask,
  };
}
