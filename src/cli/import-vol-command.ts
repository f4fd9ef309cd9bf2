/**
 * `fovea import-vol FILE... --out DIR`: converts Heidelberg `.vol` exports into Ophthalmic Tomography DICOM
 * (plus the SLO as Ophthalmic Photography) with {@link convertVol}, and prints one line per object written.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.52 (OPT Image IOD)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertVol } from './vol-to-dicom.ts';

const usage = `Usage: fovea import-vol FILE... --out DIR

  FILE       Heidelberg Engineering .vol exports (Spectralis "HSF-OCT-1xx": line scans and raster volumes)
  --out DIR  where to write OPT-<eye>-<SOPInstanceUID>.dcm (the B-scans, Ophthalmic Tomography) and
             OP-<eye>-<SOPInstanceUID>.dcm (the SLO, Ophthalmic Photography 8 Bit); the same file always
             gives the same UIDs and bytes
`;

/** Runs the command; returns the exit code (0 all converted, 1 a file failed, 2 bad usage). */
export async function runImportVolCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(usage);
    return 0;
  }
  const out = parsed.values.out;
  if (parsed.positionals.length === 0 || out === undefined) {
    console.error(usage);
    return 2;
  }
  await mkdir(out, { recursive: true });
  let failed = 0;
  for (const path of parsed.positionals) {
    try {
      const converted = convertVol(await readFile(path));
      const { header } = converted.vol;
      for (const object of [converted.oct, ...(converted.slo === undefined ? [] : [converted.slo])]) {
        const target = join(out, object.fileName);
        await writeFile(target, object.part10);
        const what =
          object.kind === 'oct'
            ? `OPT ${header.numBScans} B-scan(s) of ${header.sizeX}×${header.sizeZ}`
            : `OP SLO ${header.sizeXSlo}×${header.sizeYSlo}`;
        console.log(`${target}: ${what}`);
      }
    } catch (error) {
      // The message says what is wrong with the file; it never carries header identifiers.
      console.error(`${path}: ${(error as Error).message}`);
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}
