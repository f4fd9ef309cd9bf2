/**
 * Peer validation of every SR and KOS the writers build: dicom3tools `dciodvfy` (IOD, zero `Error` lines),
 * `dcentvfy` (same patient and study as the source instances), and DCMTK `dsrdump` as an independent reader
 * of the content tree (template items, laterality, flags).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peerInstalled, requirePeer, run, which } from '../../../test/peers/peers.ts';
import { comprehensive3dSrSopClassUid } from './tid1500-measurement-report.ts';
import { finalInput, preliminaryInput, sampleStudy, testDevice } from './fixtures.test.ts';
import type { SampleStudy } from './fixtures.test.ts';
import { writeSrPart10 } from './part10.ts';
import {
  buildMeasurementReport,
  buildMeasurementReportDataset,
  trackingIdentifierOf,
} from './tid1500-measurement-report.ts';
import type { MeasurementReportInput, ReportFinding } from './tid1500-measurement-report.ts';
import { buildRejectionNote, rejectionTitles } from './tid2010-rejection-note.ts';
import type { RejectionReason } from './tid2010-rejection-note.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-sr-validation-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

interface Built {
  readonly name: string;
  readonly iod: 'Comprehensive3DSR' | 'KeyObjectSelectionDocument';
  readonly file: string;
  readonly input?: MeasurementReportInput;
}

let sample: SampleStudy;
const built: Built[] = [];

function write(name: string, bytes: Uint8Array): string {
  const file = join(temp, name);
  writeFileSync(file, bytes);
  return file;
}

before(async () => {
  sample = await sampleStudy();
  const preliminary = preliminaryInput(sample);
  const final = finalInput(sample);
  const [firstFinding] = preliminary.findings;
  assert.ok(firstFinding);
  const minimal: MeasurementReportInput = {
    ...final,
    sopInstanceUid: '2.25.317279419520939618823416315391963925470',
    sources: sample.sources.filter((source) => source.sopInstanceUid === sample.fundusR.sopInstanceUid),
    findings: [firstFinding],
    device: { uid: testDevice.uid, name: 'FOVEA', softwareVersion: '0.1.0' },
  };
  for (const [name, input] of [
    ['preliminary', preliminary],
    ['final', final],
    ['minimal-final', minimal],
  ] as const) {
    built.push({
      name,
      iod: 'Comprehensive3DSR',
      file: write(`${name}.dcm`, buildMeasurementReport(input)),
      input,
    });
  }
  for (const reason of Object.keys(rejectionTitles) as RejectionReason[]) {
    const bytes = buildRejectionNote({
      study: sample.context,
      rejected: [
        {
          seriesInstanceUid: preliminary.seriesInstanceUid,
          sopClassUid: comprehensive3dSrSopClassUid,
          sopInstanceUid: preliminary.sopInstanceUid,
        },
      ],
      reason,
      device: testDevice,
      ...(reason === 'quality' ? { description: 'Withdrawn: replaced by a corrected report.' } : {}),
      seriesInstanceUid: '2.25.23883516049101662542718413542700470470',
      seriesNumber: 9003,
      sopInstanceUid: '2.25.288117350883186327451311958567891425530',
      instanceNumber: 1,
      contentDateTime: new Date('2026-01-11T08:00:00Z'),
    });
    built.push({
      name: `kos-${reason}`,
      iod: 'KeyObjectSelectionDocument',
      file: write(`kos-${reason}.dcm`, bytes),
    });
  }
  for (const object of sample.objects) {
    write(`source-${object.fileName}`, object.part10);
  }
});

/** The Error lines of a dciodvfy run (all its output goes to stderr; the exit code is unreliable). */
function dciodvfyErrors(file: string): { errors: string[]; iod: string | undefined; output: string } {
  const result = run('dciodvfy', [file]);
  const lines = result.output.split('\n');
  return {
    errors: lines.filter((line) => line.startsWith('Error')),
    iod: lines.find((line) => line !== '' && !line.startsWith('Error') && !line.startsWith('Warning')),
    output: result.output,
  };
}

describe('SR and KOS pass dciodvfy', () => {
  it('has zero Error lines for every SR and KOS built', (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    assert.equal(built.length, 3 + 4);
    for (const object of built) {
      const { errors, iod, output } = dciodvfyErrors(object.file);
      assert.deepEqual(errors, [], `${object.name}:\n${output}`);
      assert.equal(iod, object.iod, object.name);
      // The only warnings are about Fovea's private coding scheme, which dciodvfy does not know.
      const warnings = output.split('\n').filter((line) => line.startsWith('Warning'));
      assert.deepEqual(
        warnings.filter((line) => !line.includes('<99FOVEA>')),
        [],
        `${object.name}:\n${output}`,
      );
    }
  });

  it('reports errors for a broken object (the gate can fail)', (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    const dataset = buildMeasurementReportDataset(preliminaryInput(sample));
    delete dataset.CurrentRequestedProcedureEvidenceSequence;
    dataset.CompletionFlag = 'DONE';
    const { errors } = dciodvfyErrors(write('broken.dcm', writeSrPart10(dataset)));
    assert.ok(
      errors.some((line) => line.includes('Completion Flag')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((line) => line.includes('CurrentRequestedProcedureEvidenceSequence')),
      errors.join('\n'),
    );
  });

  it('is consistent with its source instances (dcentvfy: same patient and study)', (t) => {
    if (!requirePeer(t, 'dciodvfy', which('dcentvfy') !== undefined)) {
      return;
    }
    const sources = sample.objects.map((object) => join(temp, `source-${object.fileName}`));
    for (const object of built) {
      const result = run('dcentvfy', [object.file, ...sources]);
      const errors = result.output.split('\n').filter((line) => line.startsWith('Error'));
      assert.deepEqual(errors, [], `${object.name}:\n${result.output}`);
    }
  });
});

/** One line of the dsrdump content tree. */
interface DumpLine {
  readonly depth: number;
  readonly text: string;
}

/** The content tree lines of a dsrdump output (two spaces of indent per nesting level). */
function treeLines(output: string): DumpLine[] {
  return output
    .split('\n')
    .filter((line) => /^ *</u.test(line))
    .map((line) => ({ depth: (line.length - line.trimStart().length) / 2, text: line.trim() }));
}

/** The lines below a line (its subtree). */
function subtree(lines: readonly DumpLine[], index: number): DumpLine[] {
  const depth = lines[index]?.depth ?? 0;
  const end = lines.findIndex((line, i) => i > index && line.depth <= depth);
  return lines.slice(index + 1, end === -1 ? undefined : end);
}

function dsrdump(file: string): { output: string; status: number } {
  const result = run('dsrdump', ['+Pc', '+Pu', '+Pl', '+Pt', file]);
  return { output: result.stdout, status: result.status };
}

describe('DCMTK dsrdump reads the reports independently', () => {
  it('shows the TID 1500 tree, the flags, and the right laterality for every group', (t) => {
    if (!requirePeer(t, 'dcmtk', peerInstalled('dcmtk') && which('dsrdump') !== undefined)) {
      return;
    }
    for (const object of built.filter((candidate) => candidate.input !== undefined)) {
      const input = object.input;
      assert.ok(input);
      const { output, status } = dsrdump(object.file);
      assert.equal(status, 0, output);
      const final = input.status.kind === 'final';
      assert.match(output, new RegExp(`Completion Flag +: ${final ? 'COMPLETE' : 'PARTIAL'}`, 'u'));
      assert.match(output, new RegExp(`Verification Flag +: ${final ? 'VERIFIED' : 'UNVERIFIED'}`, 'u'));
      assert.match(output, new RegExp(`Preliminary Flag +: ${final ? 'FINAL' : 'PRELIMINARY'}`, 'u'));
      if (final) {
        assert.match(
          output,
          /Verifying Observers : 2026-01-10 11:29:40 \+00:00, Grader\^Grace\^\^Dr, Test Eye Hospital/u,
        );
        assert.match(output, /Predecessor Docs +: 1/u);
      }
      const lines = treeLines(output);
      assert.match(
        lines[0]?.text ?? '',
        /^<CONTAINER:\(126000,DCM,"Imaging Measurement Report"\)=SEPARATE> {2}# TID 1500 \(DCMR/u,
      );
      const rootItems = lines.filter((line) => line.depth === 1).map((line) => line.text);
      assert.ok(
        rootItems.some((text) => text.startsWith('<has concept mod CODE:(121049,DCM,')),
        'language',
      );
      assert.ok(
        rootItems.some((text) => text.includes('(121005,DCM,"Observer Type")=(121007,DCM,"Device")')),
        'device observer',
      );
      assert.ok(
        rootItems.some((text) =>
          text.startsWith('<has obs context TEXT:(121014,DCM,"Device Observer Manufacturer")="Fovea"'),
        ),
      );
      assert.ok(
        rootItems.some((text) => text.startsWith('<has concept mod CODE:(121058,DCM,"Procedure reported")')),
      );
      assert.ok(
        rootItems.some((text) => text.startsWith('<contains CONTAINER:(111028,DCM,"Image Library")')),
      );
      assert.ok(
        rootItems.some((text) => text.startsWith('<contains CONTAINER:(126010,DCM,"Imaging Measurements")')),
      );

      const groupIndexes = lines.flatMap((line, index) =>
        line.text.startsWith('<contains CONTAINER:(125007,DCM,"Measurement Group")') ? [index] : [],
      );
      assert.equal(groupIndexes.length, input.findings.length, object.name);
      const seen = new Set<string>();
      for (const index of groupIndexes) {
        const group = subtree(lines, index).filter((line) => line.depth === (lines[index]?.depth ?? 0) + 1);
        const nested = subtree(lines, index);
        const tracking = /Tracking Identifier"\)="(.*)">$/u.exec(
          group.find((line) => line.text.includes('(112039,DCM,"Tracking Identifier")'))?.text ?? '',
        )?.[1];
        const finding: ReportFinding | undefined = input.findings.find(
          (candidate) => trackingIdentifierOf(candidate) === tracking,
        );
        assert.ok(finding, `dsrdump group with tracking identifier ${String(tracking)}`);
        seen.add(tracking ?? '');
        assert.ok(
          group.some((line) => line.text.includes('(112040,DCM,"Tracking Unique Identifier")="2.25.')),
        );
        assert.ok(
          group.some(
            (line) =>
              line.text ===
              `<has concept mod TEXT:(111001,DCM,"Algorithm Name")="${finding.provenance.analyzerId}">`,
          ),
        );
        assert.ok(
          group.some(
            (line) =>
              line.text ===
              `<has concept mod TEXT:(111003,DCM,"Algorithm Version")="${finding.provenance.analyzerVersion}">`,
          ),
        );
        const siteIndex = nested.findIndex((line) =>
          line.text.startsWith('<has concept mod CODE:(363698007,SCT,"Finding Site")=(81745001,SCT,"Eye")>'),
        );
        assert.ok(siteIndex >= 0, `${String(tracking)}: finding site`);
        const laterality = nested[siteIndex + 1]?.text;
        const expected: string = finding.eye === 'R' ? '(24028007,SCT,"Right")' : '(7771000,SCT,"Left")';
        assert.equal(
          laterality,
          `<has concept mod CODE:(272741003,SCT,"Laterality")=${expected}>`,
          String(tracking),
        );
        if (finding.value.kind === 'region') {
          const region = nested.findIndex((line) =>
            line.text.startsWith('<contains SCOORD:(111030,DCM,"Image Region")'),
          );
          assert.ok(region >= 0, `${String(tracking)}: SCOORD`);
          assert.ok(nested[region]?.text.includes(`=(${finding.value.graphicType},`));
          assert.match(
            nested[region + 1]?.text ?? '',
            new RegExp(
              `^<selected from IMAGE:=\\(.*"${finding.value.sopInstanceUid.replaceAll('.', '\\.')}"`,
              'u',
            ),
          );
        }
      }
      assert.equal(seen.size, input.findings.length);
      const libraryLateralities = lines.filter((line) =>
        line.text.startsWith('<has acq context CODE:(111027,DCM,"Image Laterality")'),
      );
      assert.equal(libraryLateralities.length, input.sources.length);
    }
  });

  it('shows the rejection notes with their title and the rejected SR', (t) => {
    if (!requirePeer(t, 'dcmtk', peerInstalled('dcmtk') && which('dsrdump') !== undefined)) {
      return;
    }
    const rejectedUid = preliminaryInput(sample).sopInstanceUid;
    for (const object of built.filter((candidate) => candidate.iod === 'KeyObjectSelectionDocument')) {
      const { output, status } = dsrdump(object.file);
      assert.equal(status, 0, output);
      assert.match(output, /^Key Object Selection Document$/mu);
      const reason = object.name.slice('kos-'.length) as RejectionReason;
      const title = rejectionTitles[reason];
      const lines = treeLines(output);
      assert.equal(
        lines[0]?.text,
        `<CONTAINER:(${title.value},DCM,"${title.meaning}")=SEPARATE>  # TID 2010 (DCMR, 1.2.840.10008.8.1.1)`,
      );
      assert.ok(
        lines.some(
          (line) =>
            line.depth === 1 &&
            line.text === `<contains COMPOSITE:=(Comprehensive3DSRStorage,"${rejectedUid}")>`,
        ),
        output,
      );
    }
  });
});
