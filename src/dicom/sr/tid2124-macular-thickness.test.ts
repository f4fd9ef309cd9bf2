/**
 * The TID 2124 macular thickness report: template content (dciodvfy does not check templates), dciodvfy
 * (zero Error lines), and DCMTK dsrdump / dcmdump as independent readers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peerInstalled, requirePeer, run, which } from '../../../test/peers/peers.ts';
import { generateOctVolume, makePatient, makeStudy } from '../../synth/index.ts';
import type { SynthObject } from '../../synth/index.ts';
import { codes, sameConcept } from './codes.ts';
import { readContentNode } from './content-tree.ts';
import type { SrContentNode } from './content-tree.ts';
import { testDevice } from './fixtures.test.ts';
import { readPart10Dataset } from './part10.ts';
import { readSourceStudyContext } from './source-study.ts';
import { preliminaryStatement } from './tid1500-measurement-report.ts';
import {
  buildMacularThicknessReport,
  buildMacularThicknessReportDataset,
  comprehensiveSrSopClassUid,
  macularCodes,
} from './tid2124-macular-thickness.ts';
import type { MacularThicknessEye, MacularThicknessReportInput } from './tid2124-macular-thickness.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-tid2124-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

let octR: SynthObject;
let octL: SynthObject;
let input: MacularThicknessReportInput;
let reportFile: string;
let finalFile: string;

function eyeOf(object: SynthObject, definition: 'ILM-BM' | 'ILM-RPE', shift: number): MacularThicknessEye {
  return {
    eye: object.eye,
    cst_um: 272.4 + shift,
    centrePoint_um: 231 + shift,
    subfields: {
      centre: 272.4 + shift,
      innerSuperior: 341,
      innerNasal: 344.5,
      innerInferior: 338,
      innerTemporal: 329,
      outerSuperior: 301,
      outerNasal: 318,
      outerInferior: 289,
      outerTemporal: 286.25,
    },
    totalVolume_mm3: 8.61 + shift / 100,
    thicknessDefinition: definition,
    sourceInstances: [
      {
        sopClassUid: object.sopClassUid,
        sopInstanceUid: object.sopInstanceUid,
        seriesInstanceUid: object.seriesInstanceUid,
      },
    ],
  };
}

before(async () => {
  const patient = makePatient({ seed: 'tid2124' });
  const study = makeStudy({ seed: 'tid2124' });
  octR = (await generateOctVolume({ seed: 'tid2124-r', eye: 'R', patient, study, frames: 3 })).oct;
  octL = (await generateOctVolume({ seed: 'tid2124-l', eye: 'L', patient, study, frames: 3 })).oct;
  input = {
    study: readSourceStudyContext(octR.part10),
    eyes: [eyeOf(octL, 'ILM-RPE', 4), eyeOf(octR, 'ILM-BM', 0)],
    device: testDevice,
    algorithm: { analyzerId: 'oct-macula', analyzerVersion: '0.3.0', modelHash: 'ab'.repeat(32) },
    status: { kind: 'preliminary' },
    seriesInstanceUid: '2.25.61893458727352951130420436417196470035',
    seriesNumber: 9101,
    sopInstanceUid: '2.25.166498018613566296043577047651893468111',
    instanceNumber: 1,
    contentDateTime: new Date('2026-01-10T09:00:05Z'),
  };
  reportFile = join(temp, 'tid2124.dcm');
  writeFileSync(reportFile, buildMacularThicknessReport(input));
  finalFile = join(temp, 'tid2124-final.dcm');
  writeFileSync(
    finalFile,
    buildMacularThicknessReport({
      ...input,
      sopInstanceUid: '2.25.303757151264452186000441431417355118425',
      status: {
        kind: 'final',
        verifier: {
          name: 'Grader^Grace',
          organization: 'Test Eye Hospital',
          dateTime: new Date('2026-01-10T11:00:00Z'),
        },
      },
      predecessors: [
        {
          seriesInstanceUid: input.seriesInstanceUid,
          sopClassUid: comprehensiveSrSopClassUid,
          sopInstanceUid: input.sopInstanceUid,
        },
      ],
    }),
  );
  writeFileSync(join(temp, 'oct-r.dcm'), octR.part10);
  writeFileSync(join(temp, 'oct-l.dcm'), octL.part10);
});

function child(node: SrContentNode, concept: { value: string; scheme: string }): SrContentNode[] {
  return node.children.filter((item) => sameConcept(item.concept, { ...concept, meaning: '' }));
}

/** The CID 4285 measurements every TID 2120 group of TID 2124 must carry, with their units. */
const requiredMeasurements = [
  [macularCodes.centrePointThickness, 'um'],
  [macularCodes.centreSubfieldThickness, 'um'],
  [macularCodes.innerSuperior, 'um'],
  [macularCodes.innerNasal, 'um'],
  [macularCodes.innerInferior, 'um'],
  [macularCodes.innerTemporal, 'um'],
  [macularCodes.outerSuperior, 'um'],
  [macularCodes.outerNasal, 'um'],
  [macularCodes.outerInferior, 'um'],
  [macularCodes.outerTemporal, 'um'],
  [macularCodes.totalVolume, 'mm3'],
] as const;

describe('TID 2124 required content', () => {
  it('has the root concept, template, flags, TID 4019 rows, observer, language and AI statement', () => {
    const dataset = readPart10Dataset(buildMacularThicknessReport(input));
    assert.equal(dataset.SOPClassUID, comprehensiveSrSopClassUid);
    assert.equal(dataset.Modality, 'SR');
    assert.equal(dataset.CompletionFlag, 'PARTIAL');
    assert.equal(dataset.VerificationFlag, 'UNVERIFIED');
    assert.equal(dataset.PreliminaryFlag, 'PRELIMINARY');
    const template = (dataset.ContentTemplateSequence as { TemplateIdentifier: string }[])[0];
    assert.equal(template?.TemplateIdentifier, '2124');
    const root = readContentNode(dataset);
    assert.ok(sameConcept(root.concept, macularCodes.macularThicknessKeyMeasurements));
    assert.equal(child(root, codes.languageOfContent)[0]?.relationship, 'HAS CONCEPT MOD');
    const name = child(root, codes.algorithmName);
    const version = child(root, codes.algorithmVersion);
    assert.equal(name.length, 1);
    assert.equal(name[0]?.relationship, 'HAS OBS CONTEXT');
    assert.equal(name[0]?.text, 'oct-macula');
    assert.equal(version.length, 1);
    assert.equal(version[0]?.text, '0.3.0');
    assert.equal(child(root, codes.algorithmParameters)[0]?.text, `model-sha256=${'ab'.repeat(32)}`);
    assert.ok(sameConcept(child(root, codes.observerType)[0]?.code, codes.device));
    assert.equal(child(root, codes.comment)[0]?.text, preliminaryStatement);
  });

  it('has one TID 2120 group per eye with Eye + laterality, the thickness definition and every CID 4285 measurement', () => {
    const root = readContentNode(readPart10Dataset(buildMacularThicknessReport(input)));
    const groups = child(root, codes.measurementGroup);
    assert.equal(groups.length, 2);
    const expected = [
      { eye: codes.right, source: octR.sopInstanceUid, definition: macularCodes.ilmToBm, cst: 272.4 },
      { eye: codes.left, source: octL.sopInstanceUid, definition: macularCodes.ilmToRpe, cst: 276.4 },
    ];
    for (const [index, group] of groups.entries()) {
      const want = expected[index];
      assert.ok(want);
      assert.equal(group.relationship, 'CONTAINS');
      const site = child(group, codes.findingSite);
      assert.equal(site.length, 1);
      assert.ok(sameConcept(site[0]?.code, codes.eye));
      const laterality = site[0] === undefined ? [] : child(site[0], codes.laterality);
      assert.equal(laterality.length, 1);
      assert.ok(sameConcept(laterality[0]?.code, want.eye));
      const method = child(group, macularCodes.measurementMethod);
      assert.ok(sameConcept(method[0]?.code, want.definition));
      for (const [concept, unit] of requiredMeasurements) {
        const items = child(group, concept);
        assert.equal(items.length, 1, concept.meaning);
        assert.equal(items[0]?.valueType, 'NUM');
        assert.equal(items[0]?.num?.unit?.value, unit, concept.meaning);
        assert.equal(items[0]?.num?.unit?.scheme, 'UCUM');
      }
      assert.equal(child(group, macularCodes.centreSubfieldThickness)[0]?.num?.value, want.cst);
      const images = child(group, codes.source);
      assert.deepEqual(
        images.map((image) => image.reference?.sopInstanceUid),
        [want.source],
      );
    }
  });

  it('is deterministic and rejects what the template cannot hold', () => {
    assert.deepEqual(buildMacularThicknessReport(input), buildMacularThicknessReport(input));
    assert.throws(() => buildMacularThicknessReportDataset({ ...input, eyes: [] }), /FOVEA_SR_INVALID|eye/u);
    const [first] = input.eyes;
    assert.ok(first);
    assert.throws(() => buildMacularThicknessReportDataset({ ...input, eyes: [first, first] }));
    assert.throws(() =>
      buildMacularThicknessReportDataset({ ...input, eyes: [{ ...first, cst_um: Number.NaN }] }),
    );
    assert.throws(() =>
      buildMacularThicknessReportDataset({ ...input, eyes: [{ ...first, sourceInstances: [] }] }),
    );
    assert.throws(
      () =>
        buildMacularThicknessReportDataset({
          ...input,
          eyes: [{ ...first, subfields: { ...first.subfields, centre: first.cst_um + 5 } }],
        }),
      /centre subfield/u,
    );
  });
});

describe('TID 2124 report with peers', () => {
  it('passes dciodvfy with zero Error lines (preliminary and final)', (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    for (const file of [reportFile, finalFile]) {
      const output = run('dciodvfy', [file]).output;
      const lines = output.split('\n');
      assert.deepEqual(
        lines.filter((line) => line.startsWith('Error')),
        [],
        output,
      );
      assert.ok(lines.includes('ComprehensiveSR'), output);
      // The only warning: dciodvfy does not know the 99FOVEA scheme every Fovea SR declares.
      assert.deepEqual(
        lines.filter((line) => line.startsWith('Warning') && !line.includes('<99FOVEA>')),
        [],
        output,
      );
    }
  });

  it('is consistent with its source OCT volumes (dcentvfy)', (t) => {
    if (!requirePeer(t, 'dciodvfy', which('dcentvfy') !== undefined)) {
      return;
    }
    const result = run('dcentvfy', [reportFile, join(temp, 'oct-r.dcm'), join(temp, 'oct-l.dcm')]);
    assert.deepEqual(
      result.output.split('\n').filter((line) => line.startsWith('Error')),
      [],
      result.output,
    );
  });

  it('reads back in DCMTK dsrdump and dcmdump', (t) => {
    if (!requirePeer(t, 'dcmtk', peerInstalled('dcmtk') && which('dsrdump') !== undefined)) {
      return;
    }
    const dump = run('dsrdump', ['+Pc', '+Pu', '+Pl', '+Pt', reportFile]);
    assert.equal(dump.status, 0, dump.output);
    assert.match(dump.stdout, /Completion Flag +: PARTIAL/u);
    assert.match(dump.stdout, /<CONTAINER:\(131243,DCM,"Macular Thickness Key Measurements"\)=SEPARATE>/u);
    assert.match(dump.stdout, /# TID 2124 \(DCMR/u);
    assert.match(
      dump.stdout,
      /\(57109-1,LN,"Macular grid\.center subfield thickness by OCT"\)="272\.4" \(um,UCUM,/u,
    );
    assert.match(dump.stdout, /\(57118-2,LN,"Macular grid\.total volume by OCT"\)="8\.61" \(mm3,UCUM,/u);
    assert.match(dump.stdout, /\(272741003,SCT,"Laterality"\)=\(7771000,SCT,"Left"\)/u);
    const dcm = run('dcmdump', ['+P', 'CompletionFlag', '+P', 'SOPClassUID', reportFile]);
    assert.equal(dcm.status, 0, dcm.output);
    assert.match(dcm.stdout, /=ComprehensiveSRStorage/u);
    assert.match(dcm.stdout, /CS \[PARTIAL\]/u);
  });
});
