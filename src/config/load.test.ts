import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, deliveryDestinations, loadConfig, redactConfig, watchEnabled } from './index.ts';

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'FOVEA_CONFIG_INVALID');
    return [...error.issues];
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('has safe defaults that validate', () => {
    const config = loadConfig();
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.httpPort, 8080);
    assert.equal(config.dicom.port, 11112);
    assert.equal(config.dicom.aeTitle, 'FOVEA');
    assert.equal(config.dataDir, './var');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.profile, 'production');
    assert.equal(watchEnabled(config), false);
    assert.ok(Object.isFrozen(config.dicom));
  });

  it('merges defaults < file < env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fovea-config-'));
    const file = join(dir, 'fovea.yaml');
    writeFileSync(file, 'httpPort: 9000\ndicom:\n  port: 12000\n  aeTitle: FILEAET\nlog:\n  level: warn\n');
    const config = loadConfig({
      env: { FOVEA_CONFIG: file, FOVEA_DICOM_PORT: '13000', FOVEA_DICOM_AET: 'ENVAET' },
      flags: { 'dicom-aet': 'FLAGAET', set: ['assembly.quietPeriodSeconds=3'] },
    });
    assert.equal(config.httpPort, 9000);
    assert.equal(config.dicom.port, 13000);
    assert.equal(config.dicom.aeTitle, 'FLAGAET');
    assert.equal(config.log.level, 'warn');
    assert.equal(config.assembly.quietPeriodSeconds, 3);
  });

  it('reads the default PACS from the environment', () => {
    const config = loadConfig({
      env: {
        FOVEA_PACS_DICOMWEB_URL: 'http://127.0.0.1:8042/dicom-web',
        FOVEA_PACS_USER: 'u',
        FOVEA_PACS_PASSWORD: 'secret',
        FOVEA_PACS_DIMSE: 'ORTHANC@127.0.0.1:4242',
      },
    });
    assert.deepEqual(config.pacs.default?.dimse, { aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242 });
    assert.equal(config.pacs.default?.dicomweb?.url, 'http://127.0.0.1:8042/dicom-web');
    assert.equal(watchEnabled(config), true);
    const redacted = JSON.stringify(redactConfig(config));
    assert.ok(!redacted.includes('secret'));
  });

  it('reports every error with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fovea-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        httpPort: 70000,
        dicom: { aeTitle: 'THIS-AE-TITLE-IS-FAR-TOO-LONG', colour: 'blue' },
        routing: {
          rules: [
            { id: 'a', match: { seriesDescription: '(' }, useCases: ['nope'] },
            { id: 'a', match: { modalities: ['OP'] }, useCases: ['dr-screening'] },
          ],
        },
      }),
    );
    const schemaIssues = issuesOf(() => loadConfig({ env: { FOVEA_CONFIG: file, FOVEA_DICOM_PORT: 'abc' } }));
    const paths = schemaIssues.map((issue) => issue.path);
    assert.ok(paths.includes('env FOVEA_DICOM_PORT'), paths.join());
    assert.ok(paths.includes('httpPort'), paths.join());
    assert.ok(paths.includes('dicom.aeTitle'), paths.join());
    assert.ok(paths.includes('dicom.colour'), paths.join());
    writeFileSync(
      file,
      JSON.stringify({
        routing: {
          rules: [
            { id: 'a', match: { seriesDescription: '(' }, useCases: ['nope'] },
            { id: 'a', match: { modalities: ['OP'] }, useCases: ['dr-screening'] },
          ],
        },
        watch: { enabled: true },
      }),
    );
    const semantic = issuesOf(() => loadConfig({ file }));
    const semanticPaths = semantic.map((issue) => issue.path);
    assert.deepEqual(semanticPaths.sort(), [
      'routing.rules',
      'routing.rules.0.match.seriesDescription',
      'routing.rules.0.useCases.0',
      'watch.pacs',
    ]);
  });

  it('rejects an unreadable or unparsable file and bad PACS peers', () => {
    assert.equal(
      issuesOf(() => loadConfig({ file: '/nonexistent/fovea.yaml' }))[0]?.path,
      'file /nonexistent/fovea.yaml',
    );
    const dir = mkdtempSync(join(tmpdir(), 'fovea-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'a: [1, 2\n');
    assert.match(issuesOf(() => loadConfig({ file }))[0]?.message ?? '', /not valid YAML/u);
    assert.equal(
      issuesOf(() => loadConfig({ env: { FOVEA_PACS_DIMSE: 'nonsense' } }))[0]?.path,
      'env FOVEA_PACS_DIMSE',
    );
  });

  it('applies the demo profile without overriding explicit settings', () => {
    assert.equal(loadConfig({ env: { FOVEA_PROFILE: 'demo' } }).assembly.quietPeriodSeconds, 5);
    assert.equal(
      loadConfig({ env: { FOVEA_PROFILE: 'demo', FOVEA_QUIET_PERIOD_SECONDS: '1' } }).assembly
        .quietPeriodSeconds,
      1,
    );
  });

  it('reads MLLP destinations and reports the keys a protocol needs or does not take', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fovea-config-'));
    const file = join(dir, 'fovea.yaml');
    writeFileSync(
      file,
      [
        'pacs:',
        '  default:',
        '    dicomweb: { url: "http://127.0.0.1:8042/dicom-web" }',
        'delivery:',
        '  destinations:',
        '    - { id: pacs, pacs: default, protocol: stow-rs }',
        '    - { id: ris, protocol: mllp, host: 127.0.0.1, port: 2576, role: results, receivingApplication: RIS }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(deliveryDestinations(loadConfig({ file })), [
      { id: 'pacs', pacs: 'default', protocol: 'stow-rs' },
      {
        id: 'ris',
        protocol: 'mllp',
        host: '127.0.0.1',
        port: 2576,
        role: 'results',
        receivingApplication: 'RIS',
      },
    ]);
    writeFileSync(
      file,
      [
        'delivery:',
        '  destinations:',
        '    - { id: ris, protocol: mllp, pacs: default, port: 2576 }',
        '    - { id: pacs, protocol: dimse, role: alerts }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ file }))
        .map((issue) => issue.path)
        .sort(),
      [
        'delivery.destinations.0.host',
        'delivery.destinations.0.pacs',
        'delivery.destinations.0.role',
        'delivery.destinations.1.pacs',
        'delivery.destinations.1.role',
      ],
    );
    writeFileSync(
      file,
      'delivery:\n  destinations:\n    - { id: ris, protocol: mllp, host: h, port: 1, role: results, receivingFacility: "A\\rB" }\n',
    );
    assert.deepEqual(
      issuesOf(() => loadConfig({ file })).map((issue) => issue.path),
      ['delivery.destinations.0.receivingFacility'],
      'no control characters in MSH fields',
    );
  });
});
