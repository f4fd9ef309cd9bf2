/**
 * Pixel access for analyzers: frames decoded from the spooled Part 10 files (cached per run), and data sets
 * without pixel data.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { openFrames, readDataset, type FrameSource } from '../../imaging/index.ts';
import type { CaseInstance, DecodedFrame, PixelAccess } from '../sdk/index.ts';

/** Pixel access over the spool rooted at `spoolRoot`. */
export function spoolPixelAccess(spoolRoot: string): PixelAccess {
  // Each file is read from disk once per run, whether its frames, its data set or both are asked for.
  const files = new Map<string, Promise<Uint8Array>>();
  const bytesOf = (instance: CaseInstance): Promise<Uint8Array> => {
    let bytes = files.get(instance.sopInstanceUid);
    if (bytes === undefined) {
      bytes = readFile(join(spoolRoot, instance.spoolPath));
      files.set(instance.sopInstanceUid, bytes);
    }
    return bytes;
  };
  // A file is parsed once per run, however many of its frames are read (a 49-frame OCT volume).
  const sources = new Map<string, Promise<FrameSource>>();
  const frames = new Map<string, Promise<DecodedFrame>>();
  return {
    frame(instance: CaseInstance, frameIndex = 0): Promise<DecodedFrame> {
      const key = `${instance.sopInstanceUid}#${frameIndex}`;
      let frame = frames.get(key);
      if (frame === undefined) {
        let source = sources.get(instance.sopInstanceUid);
        if (source === undefined) {
          source = bytesOf(instance).then(openFrames);
          sources.set(instance.sopInstanceUid, source);
        }
        frame = source.then((opened) => opened.frame(frameIndex));
        frames.set(key, frame);
      }
      return frame;
    },
    async dataset(instance: CaseInstance): Promise<Readonly<Record<string, unknown>>> {
      return readDataset(await bytesOf(instance));
    },
  };
}
