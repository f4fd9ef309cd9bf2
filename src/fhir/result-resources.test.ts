/**
 * The FHIR resources of an analysis: every resource passes two independent validators (Medplum's R4
 * StructureDefinitions and FHIR.js with bindings); per-eye body sites, UCUM quantities, derivedFrom the
 * ImagingStudy, the algorithm Device; statuses preliminary → final (a rejected finding entered-in-error) →
 * entered-in-error; the transaction Bundle written twice to a real (in-memory, third-party) FHIR server leaves
 * one copy of each resource, updated in place.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord, Finding, FindingDraft } from '../core/finding.ts';
import { startFhirServer, validateFhir, type FhirServerPeer } from '../../test/peers/fhir.ts';
import { resultTransaction } from './bundle.ts';
import { buildResultResources, type FhirResource } from './result-resources.ts';

const provenance = {
  analyzerId: 'dr-screening',
  analyzerVersion: '0.3.0',
  modelHash: 'ab'.repeat(32),
  inputSopInstanceUids: ['1.2.3.1', '1.2.3.2'],
  startedAt: new Date('2026-01-10T09:00:00Z'),
  finishedAt: new Date('2026-01-10T09:00:05Z'),
};

const drafts: FindingDraft[] = [
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'quality',
    value: { kind: 'quality', verdict: 'gradable', score: 0.91, reasons: [], components: { sharpness: 0.9 } },
    sourceSopInstanceUids: ['1.2.3.1'],
  },
  {
    eye: 'L',
    useCase: 'dr-screening',
    key: 'quality',
    value: { kind: 'quality', verdict: 'ungradable', score: 0.2, reasons: ['blur'], components: {} },
    sourceSopInstanceUids: ['1.2.3.2'],
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'icdr',
    value: {
      kind: 'classification',
      concept: { value: '71491-5', scheme: 'LN', meaning: 'Diabetic retinopathy severity, right eye' },
      value: { value: '59276001', scheme: 'SCT', meaning: 'Proliferative diabetic retinopathy' },
      confidence: 0.83,
    },
    sourceSopInstanceUids: ['1.2.3.1'],
    triage: { bucket: 'stat', reason: 'proliferative DR | new vessels' },
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'cst',
    value: {
      kind: 'measurement',
      concept: { value: '57109-1', scheme: 'LN', meaning: 'Macular grid.center subfield thickness by OCT' },
      value: 312.5,
      unit: { value: 'um', scheme: 'UCUM', meaning: 'micrometer' },
      qualifier: { value: '111929', scheme: 'DCM', meaning: 'Total retinal thickness (ILM to BM)' },
    },
    sourceSopInstanceUids: ['1.2.3.1'],
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'lesions',
    value: {
      kind: 'region',
      concept: { value: 'MA', scheme: '99FOVEA', meaning: 'Microaneurysm' },
      sopInstanceUid: '1.2.3.1',
      graphicType: 'MULTIPOINT',
      points: [10, 20, 30, 40],
    },
    sourceSopInstanceUids: ['1.2.3.1'],
  },
];

function analysisWith(status: (key: string) => Finding['status'] = () => 'preliminary'): AnalysisRecord {
  const findings: Finding[] = drafts.map((draft, index) => ({
    ...draft,
    id: `fi-${index}-${draft.eye}-${draft.key}`,
    studyInstanceUid: '1.2.3',
    analysisId: 'an-1',
    provenance,
    status: status(draft.key),
    createdAt: provenance.finishedAt,
  }));
  return {
    id: 'an-1',
    studyInstanceUid: '1.2.3',
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    useCase: 'dr-screening',
    phase: 'assistive',
    status: 'succeeded',
    findings,
    raw: null,
    provenance,
  };
}

const subject = {
  patientId: 'PID|0001^x',
  issuerOfPatientId: 'HOSP A',
  patientName: 'Doe^Jane',
  studyInstanceUid: '1.2.3',
  accessionNumber: 'ACC-77',
  studyDate: '20260110',
};

function all(resources: ReturnType<typeof buildResultResources>): FhirResource[] {
  return [
    resources.device,
    resources.report,
    ...resources.observations,
    ...(resources.provenance === undefined ? [] : [resources.provenance]),
  ];
}

describe('FHIR result resources', () => {
  let server: FhirServerPeer;
  before(async () => {
    server = await startFhirServer();
  });
  after(() => server.close());

  it('builds valid preliminary Observations per eye, a DiagnosticReport and the algorithm Device', () => {
    const resources = buildResultResources({
      analysis: analysisWith(),
      subject,
      status: 'preliminary',
      issued: provenance.finishedAt,
    });
    for (const resource of all(resources)) {
      assert.deepEqual(validateFhir(resource), [], `${resource.resourceType}/${resource.id}`);
    }
    assert.equal(resources.observations.length, 4, 'the region finding stays in DICOM');
    const byKey = (key: string): Record<string, unknown> =>
      resources.observations.find((observation) =>
        JSON.stringify(observation.identifier).includes(`-${key}"`),
      ) as Record<string, unknown>;
    const icdr = byKey('icdr');
    assert.equal(icdr.status, 'preliminary');
    assert.deepEqual((icdr.bodySite as { coding: { code: string }[] }).coding[0]!.code, '362503005');
    assert.deepEqual((icdr.code as { coding: unknown[] }).coding[0], {
      system: 'http://loinc.org',
      code: '71491-5',
      display: 'Diabetic retinopathy severity, right eye',
    });
    assert.equal((icdr.interpretation as { coding: { code: string }[] }[])[0]!.coding[0]!.code, 'AA');
    assert.deepEqual(icdr.derivedFrom, [
      { type: 'ImagingStudy', identifier: { system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' } },
    ]);
    assert.match((icdr.note as { text: string }[])[0]!.text, /AI-generated.*dr-screening@0\.3\.0/u);
    const cst = byKey('cst');
    assert.deepEqual(cst.valueQuantity, {
      value: 312.5,
      unit: 'micrometer',
      system: 'http://unitsofmeasure.org',
      code: 'um',
    });
    assert.equal((byKey('quality').bodySite as { coding: { code: string }[] }).coding[0]!.code, '362503005');
    const report = resources.report as Record<string, unknown>;
    assert.equal(report.status, 'preliminary');
    assert.equal((report.result as unknown[]).length, 4);
    assert.deepEqual(cst.device, {
      reference: `Device/${resources.device.id}`,
      display: 'dr-screening@0.3.0',
    });
    assert.equal(resources.provenance, undefined);
  });

  it('marks a signed report final, a rejected finding entered-in-error, and records the review', () => {
    const resources = buildResultResources({
      analysis: analysisWith((key) => (key === 'cst' ? 'rejected' : 'accepted')),
      subject,
      status: 'final',
      issued: new Date('2026-01-11T10:00:00Z'),
      reviewer: { name: 'Dr A. Reader', dateTime: new Date('2026-01-11T10:00:00Z') },
    });
    for (const resource of all(resources)) {
      assert.deepEqual(validateFhir(resource), [], `${resource.resourceType}/${resource.id}`);
    }
    const statuses = resources.observations.map((observation) => observation.status);
    assert.deepEqual(statuses.filter((status) => status === 'entered-in-error').length, 1);
    assert.deepEqual(statuses.filter((status) => status === 'final').length, 3);
    assert.equal(resources.report.status, 'final');
    assert.ok(resources.provenance);
    assert.equal((resources.provenance.target as unknown[]).length, 5);
  });

  it('gives every resource the same id for the same analysis, and a validator catches a broken one', () => {
    const first = buildResultResources({
      analysis: analysisWith(),
      subject,
      status: 'preliminary',
      issued: new Date(1),
    });
    const second = buildResultResources({
      analysis: analysisWith(),
      subject,
      status: 'final',
      issued: new Date(2),
    });
    assert.deepEqual(
      all(first)
        .slice(0, 5)
        .map((resource) => resource.id),
      all(second)
        .slice(0, 5)
        .map((resource) => resource.id),
    );
    const broken = { ...first.observations[0]!, status: 'done', valueQuantity: { value: 'x' } };
    assert.ok(validateFhir(broken).length >= 2, validateFhir(broken).join('\n'));
  });

  it('writes the transaction twice to a FHIR server: one copy of each resource, updated to final', async () => {
    const post = async (bundle: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(server.baseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(bundle),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const preliminary = buildResultResources({
      analysis: analysisWith(),
      subject,
      status: 'preliminary',
      issued: new Date(1),
    });
    const bundle = resultTransaction(preliminary);
    assert.deepEqual(validateFhir(bundle), []);
    const first = await post(bundle);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((await post(bundle)).status, 200);
    const final = buildResultResources({
      analysis: analysisWith(() => 'accepted'),
      subject,
      status: 'final',
      issued: new Date(2),
      reviewer: { name: 'Dr A. Reader', dateTime: new Date(3) },
    });
    assert.equal((await post(resultTransaction(final))).status, 200);
    const stored = await server.read('DiagnosticReport', preliminary.report.id);
    assert.equal(stored?.status, 'final');
    const search = await fetch(`${server.baseUrl}/Observation?identifier=urn:fovea:finding|fi-2-R-icdr`);
    const found = (await search.json()) as { entry?: { resource: { status: string } }[] };
    assert.equal(found.entry?.length, 1, 'one Observation per finding after three writes');
    assert.equal(found.entry[0]!.resource.status, 'final');
  });
});
