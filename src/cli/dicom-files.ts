/**
 * Finding DICOM Part 10 files under paths (files and folders, recursively) and reading their file meta; Heidelberg
 * `.vol` exports among them are listed apart (recognised by their `HSF-OCT-` version string, whatever their name).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readPart10Meta, type FileMeta } from '../dicom/codec/index.ts';

/** A Part 10 file found on disk. */
export interface DicomFile {
  readonly path: string;
  readonly meta: FileMeta;
  readonly size: number;
}

/** What could not be read as DICOM. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

async function readMeta(path: string): Promise<FileMeta | 'vol' | undefined> {
  const handle = await open(path, 'r');
  try {
    let length = 4096;
    for (;;) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      if (buffer.subarray(0, 8).toString('latin1') === 'HSF-OCT-') {
        return 'vol';
      }
      const meta = readPart10Meta(buffer.subarray(0, bytesRead));
      if (meta !== undefined || bytesRead < length) {
        return meta;
      }
      length *= 4;
    }
  } finally {
    await handle.close();
  }
}

/** Lists the DICOM files and the `.vol` exports under the given paths, in a stable order. */
export async function findDicomFiles(
  paths: readonly string[],
): Promise<{ files: DicomFile[]; vols: string[]; skipped: SkippedFile[] }> {
  const files: DicomFile[] = [];
  const vols: string[] = [];
  const skipped: SkippedFile[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) {
      skipped.push({ path, reason: 'not found' });
      return;
    }
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) {
        await visit(join(path, name));
      }
      return;
    }
    if (!info.isFile() || path.endsWith('.json')) {
      return;
    }
    try {
      const meta = await readMeta(path);
      if (meta === undefined) {
        skipped.push({ path, reason: 'not a DICOM Part 10 file' });
      } else if (meta === 'vol') {
        vols.push(path);
      } else {
        files.push({ path, meta, size: info.size });
      }
    } catch (error) {
      skipped.push({ path, reason: (error as Error).message });
    }
  };
  for (const path of paths) {
    await visit(path);
  }
  return { files, vols, skipped };
}
