/**
 * `fovea send PATH… --to HOST:PORT [--aet CALLING] [--called-aet CALLED]`: a C-STORE SCU over files and
 * folders, one association, with a progress bar. Also used by the demo.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { toFoveaError } from '../core/errors.ts';
import { StoreScu } from '../dicom/dimse/index.ts';
import { findDicomFiles } from './dicom-files.ts';
import { createProgress } from './progress.ts';

/** Where and as whom to send. */
export interface SendOptions {
  readonly host: string;
  readonly port: number;
  readonly callingAet: string;
  readonly calledAet: string;
}

/** What a send did. */
export interface SendReport {
  readonly sent: number;
  readonly failed: { path: string; status?: number; reason: string }[];
  readonly bytes: number;
  readonly seconds: number;
}

/** Sends every DICOM file under `paths` over one association. */
export async function sendDicomFiles(
  paths: readonly string[],
  options: SendOptions,
  onProgress?: (done: number, total: number, bytes: number) => void,
): Promise<SendReport> {
  const started = performance.now();
  const { files, vols, skipped } = await findDicomFiles(paths);
  const failed: SendReport['failed'] = [
    ...skipped.map((entry) => ({ path: entry.path, reason: entry.reason })),
    ...vols.map((path) => ({
      path,
      reason: 'a Heidelberg .vol export: convert it with fovea import-vol first',
    })),
  ];
  const contexts = new Map<string, Set<string>>();
  for (const file of files) {
    const sopClass = file.meta.mediaStorageSopClassUid;
    if (sopClass !== undefined) {
      const set = contexts.get(sopClass) ?? new Set<string>();
      set.add(file.meta.transferSyntaxUid);
      contexts.set(sopClass, set);
    }
  }
  let sent = 0;
  let bytes = 0;
  if (files.length > 0) {
    const scu = await StoreScu.connect(
      {
        host: options.host,
        port: options.port,
        callingAet: options.callingAet,
        calledAet: options.calledAet,
      },
      [...contexts].map(([sopClassUid, syntaxes]) => ({ sopClassUid, transferSyntaxes: [...syntaxes] })),
    );
    try {
      for (const [index, file] of files.entries()) {
        const { mediaStorageSopClassUid: sopClassUid, mediaStorageSopInstanceUid: sopInstanceUid } =
          file.meta;
        if (sopClassUid === undefined || sopInstanceUid === undefined) {
          failed.push({
            path: file.path,
            reason: 'no SOP Class or Instance UID in the file meta information',
          });
          continue;
        }
        if (!scu.accepted(sopClassUid).includes(file.meta.transferSyntaxUid)) {
          failed.push({ path: file.path, reason: 'the peer accepted no presentation context for this file' });
          continue;
        }
        try {
          const outcome = await scu.store({
            sopClassUid,
            sopInstanceUid,
            transferSyntaxUid: file.meta.transferSyntaxUid,
            dataset: createReadStream(file.path, { start: file.meta.byteLength, highWaterMark: 256 * 1024 }),
          });
          if (outcome.status === 0 || (outcome.status & 0xf000) === 0xb000) {
            sent++;
            bytes += file.size;
          } else {
            failed.push({
              path: file.path,
              status: outcome.status,
              reason: outcome.errorComment ?? `status 0x${outcome.status.toString(16).padStart(4, '0')}`,
            });
          }
        } catch (error) {
          failed.push({ path: file.path, reason: toFoveaError(error).message });
          throw error;
        }
        onProgress?.(index + 1, files.length, bytes);
      }
      await scu.release();
    } catch (error) {
      scu.abort();
      throw error;
    }
  }
  return { sent, failed, bytes, seconds: (performance.now() - started) / 1000 };
}

/** Parses `HOST:PORT` (IPv6 in brackets). */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/u.exec(value);
  if (match === null) {
    return undefined;
  }
  return { host: match[1]!.replace(/^\[|\]$/gu, ''), port: Number(match[2]) };
}

/** Runs `fovea send`. */
export async function runSendCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      aet: { type: 'string', default: 'FOVEASCU' },
      'called-aet': { type: 'string', default: 'FOVEA' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals.length === 0 || values.to === undefined) {
    console.error('usage: fovea send PATH... --to HOST:PORT [--aet CALLING_AET] [--called-aet CALLED_AET]');
    return values.help === true ? 0 : 2;
  }
  const target = parseHostPort(values.to);
  if (target === undefined) {
    console.error(`--to must be HOST:PORT, got ${values.to}`);
    return 2;
  }
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const report = await sendDicomFiles(
      positionals,
      { ...target, callingAet: values.aet, calledAet: values['called-aet'] },
      (done, total, bytes) => {
        progress ??= createProgress('C-STORE', total);
        progress.update(done, bytes);
      },
    );
    progress?.finish();
    for (const failure of report.failed) {
      console.error(`failed: ${failure.path}: ${failure.reason}`);
    }
    console.log(
      `sent ${report.sent} instance(s), ${report.failed.length} failed, ${(report.bytes / 1e6).toFixed(1)} MB in ${report.seconds.toFixed(1)} s`,
    );
    return report.failed.length === 0 ? 0 : 1;
  } catch (error) {
    progress?.finish();
    console.error(`send failed: ${toFoveaError(error).message}`);
    return 1;
  }
}
