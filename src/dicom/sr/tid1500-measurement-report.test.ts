import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import type { FindingValue } from '../../core/finding.ts';
import { codes } from './codes.ts';
import type { SrContentNode } from './content-tree.ts';
import { childrenNamed, hasConcept } from './content-tree.ts';
import { finalInput, preliminaryInput, sampleFindings, sampleStudy } from './fixtures.test.ts';
import { parseMeasurementReport } from './parse-measurement-report.ts';
import { writeSrPart10 } from './part10.ts';
import { readSourceStudyContext } from './source-study.ts';
import {
  buildMeasurementReport,
  buildMeasurementReportDataset,
  finalStatement,
  preliminaryStatement,
  trackingIdentifierOf,
} from './tid1500-measurement-report.ts';
import type { MeasurementReportInput, ReportFinding } from './tid1500-measurement-report.ts';

/**
 * The content TID 1500 requires (dciodvfy checks the IOD, not the template). Returns what is missing or
 * wrong; empty for a conformant tree.
 */
function tid1500Problems(root: SrContentNode, templateIdentifier: string | undefined): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) {
      problems.push(what);
    }
  };
  need(root.valueType === 'CONTAINER' && hasConcept(root, codes.imagingMeasurementReport), 'root 126000');
  need(templateIdentifier === '1500', 'Content Template Sequence TID 1500');
  const language = childrenNamed(root, codes.languageOfContent, 'CODE');
  need(language.length === 1 && language[0]?.relationship === 'HAS CONCEPT MOD', 'Language (TID 1204)');
  const observerTypes = childrenNamed(root, codes.observerType, 'CODE');
  need(
    observerTypes.length > 0 &&
      observerTypes.every((node) => node.relationship === 'HAS OBS CONTEXT' && node.code?.value === '121007'),
    'Observer Type = Device (TID 1002)',
  );
  const observerUids = childrenNamed(root, codes.deviceObserverUid, 'UIDREF');
  need(
    observerUids.length === observerTypes.length && observerUids.every((node) => node.uid !== undefined),
    'Device Observer UID per device observer (TID 1004)',
  );
  const procedures = childrenNamed(root, codes.procedureReported, 'CODE');
  need(
    procedures.length > 0 && procedures.every((node) => node.relationship === 'HAS CONCEPT MOD'),
    'Procedure reported',
  );
  const library = childrenNamed(root, codes.imageLibrary, 'CONTAINER');
  need(library.length === 1 && library[0]?.relationship === 'CONTAINS', 'Image Library (TID 1600)');
  const libraryImages = (library[0]?.children ?? []).flatMap((group) =>
    hasConcept(group, codes.imageLibraryGroup)
      ? group.children.filter((child) => child.valueType === 'IMAGE')
      : [],
  );
  need(libraryImages.length > 0, 'Image Library entries');
  const measurements = childrenNamed(root, codes.imagingMeasurements, 'CONTAINER');
  need(measurements.length === 1 && measurements[0]?.relationship === 'CONTAINS', 'Imaging Measurements');
  const groups = (measurements[0]?.children ?? []).filter((child) =>
    hasConcept(child, codes.measurementGroup),
  );
  need(groups.length > 0, 'at least one Measurement Group');
  // Order matters in TID 1500: language, observer context, procedure reported, image library, measurements.
  const order = [
    codes.languageOfContent,
    codes.observerType,
    codes.procedureReported,
    codes.imageLibrary,
    codes.imagingMeasurements,
  ].map((concept) => root.children.findIndex((child) => hasConcept(child, concept)));
  need(
    order.every((index, i) => index >= 0 && (i === 0 || index > (order[i - 1] ?? -1))),
    'TID 1500 row order',
  );
  groups.forEach((group, index) => {
    const id = childrenNamed(group, codes.trackingIdentifier, 'TEXT');
    const uid = childrenNamed(group, codes.trackingUniqueIdentifier, 'UIDREF');
    need(id.length === 1 && id[0]?.relationship === 'HAS OBS CONTEXT', `group ${index}: Tracking Identifier`);
    need(
      uid.length === 1 && uid[0]?.relationship === 'HAS OBS CONTEXT',
      `group ${index}: Tracking Unique Identifier`,
    );
    const names = childrenNamed(group, codes.algorithmName, 'TEXT');
    const versions = childrenNamed(group, codes.algorithmVersion, 'TEXT');
    need(
      names.length === 1 && names[0]?.relationship === 'HAS CONCEPT MOD',
      `group ${index}: Algorithm Name (TID 4019)`,
    );
    need(
      versions.length === 1 && versions[0]?.relationship === 'HAS CONCEPT MOD',
      `group ${index}: Algorithm Version (TID 4019)`,
    );
    const site = childrenNamed(group, codes.findingSite, 'CODE');
    need(site.length === 1 && site[0]?.code?.value === codes.eye.value, `group ${index}: Finding Site = Eye`);
    const laterality = childrenNamed(site[0] ?? group, codes.laterality, 'CODE');
    need(
      laterality.length === 1 && ['24028007', '7771000'].includes(laterality[0]?.code?.value ?? ''),
      `group ${index}: Laterality right or left`,
    );
    need(childrenNamed(group, codes.source, 'IMAGE').length > 0, `group ${index}: Source images`);
  });
  return problems;
}

function findingOf(input: MeasurementReportInput, trackingIdentifier: string | undefined): ReportFinding {
  const finding = input.findings.find((candidate) => trackingIdentifierOf(candidate) === trackingIdentifier);
  assert.ok(finding, `no input finding for ${trackingIdentifier}`);
  return finding;
}

function expectedValue(value: FindingValue): FindingValue {
  // SCOORD Graphic Data is FL (32-bit); the fixtures use values a float32 holds exactly.
  return value.kind === 'region' ? { ...value, points: value.points.map(Math.fround) } : value;
}

describe('TID 1500 measurement report', () => {
  it('round-trips findings, eyes, flags and references (preliminary)', async () => {
    const sample = await sampleStudy();
    const input = preliminaryInput(sample);
    const parsed = parseMeasurementReport(buildMeasurementReport(input));

    assert.equal(parsed.sopClassUid, '1.2.840.10008.5.1.4.1.1.88.34');
    assert.equal(parsed.sopInstanceUid, input.sopInstanceUid);
    assert.equal(parsed.seriesInstanceUid, input.seriesInstanceUid);
    assert.equal(parsed.modality, 'SR');
    assert.equal(parsed.seriesNumber, 9001);
    assert.equal(parsed.instanceNumber, 1);
    assert.equal(parsed.seriesDescription, 'AI results (Fovea) — preliminary');
    assert.deepEqual(parsed.study, sample.context);
    assert.equal(parsed.study.studyInstanceUid, sample.fundusR.studyInstanceUid);
    assert.equal(parsed.completionFlag, 'PARTIAL');
    assert.equal(parsed.verificationFlag, 'UNVERIFIED');
    assert.equal(parsed.preliminaryFlag, 'PRELIMINARY');
    assert.deepEqual(parsed.verifiers, []);
    assert.deepEqual(parsed.predecessors, []);
    assert.deepEqual(parsed.comments, [preliminaryStatement]);
    assert.deepEqual(parsed.contentDateTime, input.contentDateTime);
    assert.equal(parsed.templateIdentifier, '1500');
    assert.deepEqual(parsed.language, codes.english);
    assert.deepEqual(parsed.proceduresReported, [codes.imagingProcedure]);

    // Evidence and Image Library list exactly the evaluated instances, with their laterality.
    const bySop = (a: { sopInstanceUid: string }, b: { sopInstanceUid: string }): number =>
      a.sopInstanceUid.localeCompare(b.sopInstanceUid);
    assert.deepEqual(
      [...parsed.evidence].sort(bySop),
      sample.sources
        .map((source) => ({
          studyInstanceUid: sample.context.studyInstanceUid,
          seriesInstanceUid: source.seriesInstanceUid,
          sopClassUid: source.sopClassUid,
          sopInstanceUid: source.sopInstanceUid,
        }))
        .sort(bySop),
    );
    assert.deepEqual(
      [...parsed.imageLibrary].sort(bySop),
      sample.sources
        .map(({ sopClassUid, sopInstanceUid, eye }) => ({ sopClassUid, sopInstanceUid, eye }))
        .sort(bySop),
    );

    // One device observer per analyzer, manufacturer Fovea, model name = analyzer id.
    assert.deepEqual(
      parsed.observers.map((observer) => [observer.manufacturer, observer.modelName, observer.name]),
      [
        ['Fovea', 'dr-grader', 'FOVEA-TEST'],
        ['Fovea', 'fundus-quality', 'FOVEA-TEST'],
        ['Fovea', 'oct-thickness', 'FOVEA-TEST'],
      ],
    );
    assert.equal(new Set(parsed.observers.map((observer) => observer.uid)).size, 3);

    // Every finding comes back in its own group, with its eye, value, references and algorithm.
    assert.equal(parsed.groups.length, input.findings.length);
    const kinds = new Set<string>();
    const eyes = new Set<string>();
    for (const group of parsed.groups) {
      const finding = findingOf(input, group.trackingIdentifier);
      assert.equal(group.eye, finding.eye);
      assert.equal(group.useCase, finding.useCase);
      assert.equal(group.key, finding.key);
      assert.deepEqual(group.value, expectedValue(finding.value), group.trackingIdentifier);
      assert.deepEqual(group.sourceSopInstanceUids, [...finding.sourceSopInstanceUids].sort());
      assert.equal(group.algorithm?.name, finding.provenance.analyzerId);
      assert.equal(group.algorithm?.version, finding.provenance.analyzerVersion);
      assert.equal(group.modelHash, finding.provenance.modelHash);
      assert.match(group.trackingUid ?? '', /^2\.25\.\d+$/u);
      kinds.add(finding.value.kind);
      eyes.add(finding.eye);
    }
    assert.deepEqual([...kinds].sort(), ['classification', 'measurement', 'quality', 'region']);
    assert.deepEqual([...eyes].sort(), ['L', 'R']);
    assert.equal(new Set(parsed.groups.map((group) => group.trackingUid)).size, parsed.groups.length);
  });

  it('round-trips a final verified report that replaces the preliminary one', async () => {
    const sample = await sampleStudy();
    const input = finalInput(sample);
    const parsed = parseMeasurementReport(buildMeasurementReport(input));
    assert.equal(parsed.completionFlag, 'COMPLETE');
    assert.equal(parsed.verificationFlag, 'VERIFIED');
    assert.equal(parsed.preliminaryFlag, 'FINAL');
    assert.equal(parsed.seriesDescription, 'AI results (Fovea) — final');
    assert.deepEqual(parsed.verifiers, [
      {
        name: 'Grader^Grace^^Dr',
        organization: 'Test Eye Hospital',
        dateTime: new Date('2026-01-10T11:29:40Z'),
      },
    ]);
    const preliminary = preliminaryInput(sample);
    assert.deepEqual(parsed.predecessors, [
      {
        studyInstanceUid: sample.context.studyInstanceUid,
        seriesInstanceUid: preliminary.seriesInstanceUid,
        sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34',
        sopInstanceUid: preliminary.sopInstanceUid,
      },
    ]);
    assert.deepEqual(parsed.comments, [finalStatement]);
    // The same statement keeps its tracking UID from the preliminary to the final version.
    const before = parseMeasurementReport(buildMeasurementReport(preliminary));
    assert.deepEqual(
      parsed.groups.map((group) => [group.trackingIdentifier, group.trackingUid]),
      before.groups.map((group) => [group.trackingIdentifier, group.trackingUid]),
    );
  });

  it('has the content TID 1500 requires, and the check finds what is missing', async () => {
    const sample = await sampleStudy();
    for (const input of [preliminaryInput(sample), finalInput(sample)]) {
      const parsed = parseMeasurementReport(buildMeasurementReport(input));
      assert.deepEqual(tid1500Problems(parsed.root, parsed.templateIdentifier), []);
    }
    // Negative control: drop the language and the algorithm version of the first group.
    const dataset = buildMeasurementReportDataset(preliminaryInput(sample));
    const content = dataset.ContentSequence as Record<string, unknown>[];
    dataset.ContentSequence = content.slice(1);
    const measurements = content.find((item) =>
      JSON.stringify(item.ConceptNameCodeSequence).includes('126010'),
    );
    const group = (measurements?.ContentSequence as Record<string, unknown>[])[0] as Record<string, unknown>;
    group.ContentSequence = (group.ContentSequence as Record<string, unknown>[]).filter(
      (item) => !JSON.stringify(item.ConceptNameCodeSequence).includes('111003'),
    );
    const broken = parseMeasurementReport(writeSrPart10(dataset));
    assert.deepEqual(tid1500Problems(broken.root, broken.templateIdentifier), [
      'Language (TID 1204)',
      'TID 1500 row order',
      'group 0: Algorithm Version (TID 4019)',
    ]);
  });

  it('is deterministic: the same input (in any order) gives the same bytes', async () => {
    const sample = await sampleStudy();
    const input = preliminaryInput(sample);
    const first = buildMeasurementReport(input);
    const again = buildMeasurementReport(structuredClone(input));
    const shuffled = buildMeasurementReport({
      ...input,
      findings: [...input.findings].reverse(),
      sources: [...input.sources].reverse(),
    });
    assert.ok(Buffer.from(first).equals(Buffer.from(again)));
    assert.ok(Buffer.from(first).equals(Buffer.from(shuffled)));
    const other = buildMeasurementReport({ ...input, contentDateTime: new Date('2026-01-10T09:00:06Z') });
    assert.ok(!Buffer.from(first).equals(Buffer.from(other)));
  });

  it('writes a Part 10 file with Fovea’s implementation identification, Explicit VR Little Endian', async () => {
    const sample = await sampleStudy();
    const bytes = Buffer.from(buildMeasurementReport(preliminaryInput(sample)));
    assert.equal(bytes.toString('latin1', 128, 132), 'DICM');
    const meta = bytes.toString('latin1', 132, 400);
    assert.ok(meta.includes('1.2.840.10008.1.2.1\0'), 'transfer syntax');
    assert.ok(meta.includes('2.25.274360460746210456553469584039692186248'), 'implementation class UID');
    assert.ok(meta.includes('FOVEA_010'), 'implementation version name');
    assert.ok(meta.includes('1.2.840.10008.5.1.4.1.1.88.34'), 'media storage SOP class');
  });

  it('keeps non-ASCII patient names (UTF-8) and reads a source context back', async () => {
    const sample = await sampleStudy();
    const study = {
      ...sample.context,
      patientName: 'Müller^Jürgen',
      referringPhysicianName: 'Østergaard^Åse',
    };
    const parsed = parseMeasurementReport(buildMeasurementReport({ ...preliminaryInput(sample), study }));
    assert.equal(parsed.study.patientName, 'Müller^Jürgen');
    assert.equal(parsed.study.referringPhysicianName, 'Østergaard^Åse');
    const context = readSourceStudyContext(sample.fundusL.part10);
    assert.deepEqual(context, sample.context);
    assert.equal(context.studyInstanceUid, sample.fundusL.studyInstanceUid);
    assert.equal(context.patientId, sample.fundusL.patientId);
    assert.match(context.patientName, /\^/u);
  });

  it('refuses input that cannot make a conformant report', async () => {
    const sample = await sampleStudy();
    const input = preliminaryInput(sample);
    const [first] = sampleFindings(sample);
    assert.ok(first);
    const cases: [string, MeasurementReportInput][] = [
      ['no findings', { ...input, findings: [] }],
      ['unknown source', { ...input, findings: [{ ...first, sourceSopInstanceUids: ['2.25.1'] }] }],
      ['no source', { ...input, findings: [{ ...first, sourceSopInstanceUids: [] }] }],
      ['bad UID', { ...input, sopInstanceUid: '1.02.3' }],
      ['duplicate finding', { ...input, findings: [first, first] }],
      [
        'score out of range',
        {
          ...input,
          findings: [
            { ...first, value: { ...(first.value as FindingValue & { kind: 'quality' }), score: 1.5 } },
          ],
        },
      ],
      [
        'two points for a POINT',
        {
          ...input,
          findings: [
            {
              ...first,
              value: {
                kind: 'region',
                concept: codes.finding,
                sopInstanceUid: sample.fundusR.sopInstanceUid,
                graphicType: 'POINT',
                points: [1, 2, 3, 4],
              },
            },
          ],
        },
      ],
      [
        'non-UCUM unit',
        {
          ...input,
          findings: [
            {
              ...first,
              value: {
                kind: 'measurement',
                concept: codes.finding,
                value: 1,
                unit: { value: 'um', scheme: 'XX', meaning: 'um' },
              },
            },
          ],
        },
      ],
      [
        'final without verifier',
        {
          ...input,
          status: { kind: 'final', verifier: { name: '', organization: '', dateTime: new Date(0) } },
        },
      ],
      [
        'own predecessor',
        {
          ...input,
          predecessors: [
            {
              seriesInstanceUid: input.seriesInstanceUid,
              sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34',
              sopInstanceUid: input.sopInstanceUid,
            },
          ],
        },
      ],
      ['long accession number', { ...input, study: { ...input.study, accessionNumber: 'A'.repeat(17) } }],
    ];
    for (const [name, bad] of cases) {
      assert.throws(
        () => buildMeasurementReport(bad),
        (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_SR_INVALID',
        name,
      );
    }
  });

  it('refuses to parse objects that are not TID 1500 reports', async () => {
    const sample = await sampleStudy();
    assert.throws(
      () => parseMeasurementReport(sample.fundusR.part10),
      (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_DICOM_SOP_CLASS_UNSUPPORTED',
    );
    assert.throws(
      () => parseMeasurementReport(new Uint8Array(10)),
      (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_DICOM_MALFORMED',
    );
  });
});
