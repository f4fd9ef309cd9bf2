/**
 * Small separable kernels on one B-scan (row-major Float32 planes): running-sum box blurs (two passes
 * approximate a Gaussian), the central vertical gradient, and display → linear intensity.
 */

/** Linear intensity of each 8-bit display value (the inverse of the fourth-root display of OCT devices). */
export const linearOfDisplay: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    table[v] = (v / 255) ** 4;
  }
  return table;
})();

/** Horizontal box blur of radius `radius` (edge samples repeated), from `input` into `output`. */
export function boxBlurRows(
  input: Float32Array,
  output: Float32Array,
  rows: number,
  columns: number,
  radius: number,
): void {
  if (radius <= 0) {
    output.set(input.subarray(0, rows * columns));
    return;
  }
  const scale = 1 / (2 * radius + 1);
  const last = columns - 1;
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    let sum = (radius + 1) * input[base]!;
    for (let i = 1; i <= radius; i++) {
      sum += input[base + Math.min(last, i)]!;
    }
    // Edges (clamped indices) apart from the interior, which needs no clamping.
    const interiorEnd = Math.max(0, Math.min(columns, columns - radius - 1));
    const interiorStart = Math.min(interiorEnd, radius);
    for (let c = 0; c < interiorStart; c++) {
      output[base + c] = sum * scale;
      sum += input[base + Math.min(last, c + radius + 1)]! - input[base]!;
    }
    for (let c = interiorStart; c < interiorEnd; c++) {
      output[base + c] = sum * scale;
      sum += input[base + c + radius + 1]! - input[base + c - radius]!;
    }
    for (let c = interiorEnd; c < columns; c++) {
      output[base + c] = sum * scale;
      sum += input[base + last]! - input[base + Math.max(0, c - radius)]!;
    }
  }
}

/** Vertical box blur of radius `radius` (edge samples repeated), from `input` into `output`. */
export function boxBlurColumns(
  input: Float32Array,
  output: Float32Array,
  rows: number,
  columns: number,
  radius: number,
  sums: Float32Array,
): void {
  if (radius <= 0) {
    output.set(input.subarray(0, rows * columns));
    return;
  }
  const scale = 1 / (2 * radius + 1);
  // Row-wise running sums keep the memory access sequential.
  for (let c = 0; c < columns; c++) {
    sums[c] = (radius + 1) * input[c]!;
  }
  for (let i = 1; i <= radius; i++) {
    const base = Math.min(rows - 1, i) * columns;
    for (let c = 0; c < columns; c++) {
      sums[c] = sums[c]! + input[base + c]!;
    }
  }
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    const add = Math.min(rows - 1, r + radius + 1) * columns;
    const remove = Math.max(0, r - radius) * columns;
    for (let c = 0; c < columns; c++) {
      output[base + c] = sums[c]! * scale;
      sums[c] = sums[c]! + input[add + c]! - input[remove + c]!;
    }
  }
}

/**
 * Smooths a plane with two passes of a `(2·rowRadius+1) × (2·columnRadius+1)` box (≈ a Gaussian),
 * in place, using `temp` (same size) and `sums` (≥ columns) as scratch.
 */
export function smoothPlane(
  plane: Float32Array,
  temp: Float32Array,
  sums: Float32Array,
  rows: number,
  columns: number,
  rowRadius: number,
  columnRadius: number,
): void {
  for (let pass = 0; pass < 2; pass++) {
    boxBlurRows(plane, temp, rows, columns, columnRadius);
    boxBlurColumns(temp, plane, rows, columns, rowRadius, sums);
  }
}

/** Central vertical difference `in[r+1] − in[r−1]` (positive where it gets brighter downwards). */
export function verticalGradient(
  input: Float32Array,
  output: Float32Array,
  rows: number,
  columns: number,
): void {
  for (let r = 0; r < rows; r++) {
    const up = Math.max(0, r - 1) * columns;
    const down = Math.min(rows - 1, r + 1) * columns;
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      output[base + c] = input[down + c]! - input[up + c]!;
    }
  }
}
