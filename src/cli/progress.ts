/**
 * A one-line progress bar on stderr (redrawn in place on a terminal, a line every few seconds otherwise).
 */

/** A progress reporter. */
export interface Progress {
  update(done: number, bytes: number): void;
  finish(): void;
}

/** Creates a progress bar for `total` items. */
export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const started = performance.now();
  let lastDraw = 0;
  const draw = (done: number, bytes: number, final: boolean): void => {
    const now = performance.now();
    if (!final && now - lastDraw < (stream.isTTY ? 100 : 5000)) {
      return;
    }
    lastDraw = now;
    const seconds = Math.max((now - started) / 1000, 1e-3);
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const bar = `${'='.repeat(filled)}${' '.repeat(width - filled)}`;
    const line = `${label} [${bar}] ${done}/${total} ${(bytes / 1e6).toFixed(1)} MB ${(done / seconds).toFixed(1)}/s`;
    stream.write(stream.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
  let last = { done: 0, bytes: 0 };
  return {
    update(done, bytes) {
      last = { done, bytes };
      draw(done, bytes, false);
    },
    finish() {
      draw(last.done, last.bytes, true);
    },
  };
}
