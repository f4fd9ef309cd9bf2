/**
 * Pixel access for analyzers: frames decoded from the spooled Part 10 files (cached per run), and data sets
 * without pixel data.
 */
import { join } from 'node:path';
import { readDatasetFromFile, readFrameFromFile } from '../../imaging/index.ts';
import type { CaseInstance, DecodedFrame, PixelAccess } from '../sdk/index.ts';

/** Pixel access over the spool rooted at `spoolRoot`. */
export function spoolPixelAccess(spoolRoot: string): PixelAccess {
  const cache = new Map<string, Promise<DecodedFrame>>();
  return {
    frame(instance: CaseInstance, frameIndex = 0): Promise<DecodedFrame> {
      const key = `${instance.sopInstanceUid}#${frameIndex}`;
      let frame = cache.get(key);
      if (frame === undefined) {
        frame = readFrameFromFile(join(spoolRoot, instance.spoolPath), frameIndex);
        cache.set(key, frame);
      }
      return frame;
    },
    dataset(instance: CaseInstance): Promise<Readonly<Record<string, unknown>>> {
      return readDatasetFromFile(join(spoolRoot, instance.spoolPath));
    },
  };
}
