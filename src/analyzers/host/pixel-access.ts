/**
 * Pixel access for analyzers: frames decoded from the spooled Part 10 files (cached per run), and data sets
 * without pixel data.
 */
import { join } from 'node:path';
import { openFramesFromFile, readDatasetFromFile, type FrameSource } from '../../imaging/index.ts';
import type { CaseInstance, DecodedFrame, PixelAccess } from '../sdk/index.ts';

/** Pixel access over the spool rooted at `spoolRoot`. */
export function spoolPixelAccess(spoolRoot: string): PixelAccess {
  const cache = new Map<string, Promise<DecodedFrame>>();
  // A file is parsed once per run, however many of its frames are read (a 49-frame OCT volume).
  const sources = new Map<string, Promise<FrameSource>>();
  return {
    frame(instance: CaseInstance, frameIndex = 0): Promise<DecodedFrame> {
      const key = `${instance.sopInstanceUid}#${frameIndex}`;
      let frame = cache.get(key);
      if (frame === undefined) {
        let source = sources.get(instance.sopInstanceUid);
        if (source === undefined) {
          source = openFramesFromFile(join(spoolRoot, instance.spoolPath));
          sources.set(instance.sopInstanceUid, source);
        }
        frame = source.then((opened) => opened.frame(frameIndex));
        cache.set(key, frame);
      }
      return frame;
    },
    dataset(instance: CaseInstance): Promise<Readonly<Record<string, unknown>>> {
      return readDatasetFromFile(join(spoolRoot, instance.spoolPath));
    },
  };
}
