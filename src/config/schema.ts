/**
 * The one configuration schema of Fovea. Every key has a default that is safe for a hospital network; the
 * same schema validates the defaults, the file (`FOVEA_CONFIG`), the environment and the command-line flags,
 * merged in that order. `docs/configuration.md` documents every key.
 */
import Type, { type Static } from 'typebox';

const aeTitle = Type.String({
  minLength: 1,
  maxLength: 16,
  pattern: '^[^\\\\\\x00-\\x1f]*[^\\\\\\x00-\\x1f ][^\\\\\\x00-\\x1f]*$',
  description: 'A DICOM AE title: 1 to 16 characters, no backslash or control characters.',
});

const port = Type.Integer({ minimum: 0, maximum: 65535 });

const eyeValue = Type.Union([Type.Literal('R'), Type.Literal('L'), Type.Literal('B'), Type.Literal('U')]);

/** A calling AE title allowed to send to Fovea over DIMSE. */
export const AllowedCallerSchema = Type.Object(
  {
    aeTitle: aeTitle,
    host: Type.Optional(Type.String({ minLength: 1, description: 'Required peer IP address, if any.' })),
  },
  { additionalProperties: false },
);

/** A PACS Fovea watches and delivers to. */
export const PacsSchema = Type.Object(
  {
    dicomweb: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://', description: 'Base URL of the DICOMweb service.' }),
          user: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          bearerToken: Type.Optional(Type.String()),
          timeoutSeconds: Type.Optional(Type.Number({ minimum: 1, description: 'Default 30.' })),
        },
        { additionalProperties: false },
      ),
    ),
    dimse: Type.Optional(
      Type.Object(
        { aeTitle: aeTitle, host: Type.String({ minLength: 1 }), port: port },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** HL7 v2 text (ST/HD) Fovea writes into MSH-4 to MSH-6: no control characters. */
function hl7Name(description: string) {
  return Type.String({ maxLength: 180, pattern: '^[^\\x00-\\x1f]*$', description });
}

/**
 * A row of the DR follow-up table: refer within (months, or `immediate`) and the follow-up interval range in
 * months, with the ADA values as its default (standards-reference §B.4).
 */
function followUpRule(referWithinMonths: number | 'immediate', followUpMonths: [number, number]) {
  const months = Type.Number({ minimum: 0, maximum: 120 });
  return Type.Object(
    {
      referWithinMonths: Type.Union([months, Type.Literal('immediate')]),
      followUpMonths: Type.Tuple([months, months]),
    },
    { additionalProperties: false, default: { referWithinMonths, followUpMonths } },
  );
}

/**
 * A delivery destination: a PACS (`dimse`, `stow-rs`; needs `pacs`) or an HL7 v2 receiver over MLLP (`mllp`;
 * needs `host`, `port` and `role`). One flat object so that a misplaced key is reported by name; the keys
 * each protocol needs are checked in `semantics.ts`.
 */
export const DestinationSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }),
    protocol: Type.Union([Type.Literal('dimse'), Type.Literal('stow-rs'), Type.Literal('mllp')]),
    pacs: Type.Optional(Type.String({ description: 'dimse, stow-rs: a key of `pacs`.' })),
    host: Type.Optional(
      Type.String({ minLength: 1, description: 'mllp: host name or address of the receiver.' }),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'mllp: its port.' })),
    role: Type.Optional(
      Type.Union([Type.Literal('results'), Type.Literal('alerts'), Type.Literal('orders')], {
        description:
          'mllp: results — an ORU^R01 per visible analysis (preliminary, then final/corrected on sign-off); ' +
          'alerts — an ORU^R01 critical-finding alert when a study is triaged stat; orders — an ORM^O01 priority ' +
          'update (XO, STAT) when a study with an accession number is triaged stat.',
      }),
    ),
    receivingApplication: Type.Optional(hl7Name('mllp: MSH-5.')),
    receivingFacility: Type.Optional(hl7Name('mllp: MSH-6.')),
    sendingFacility: Type.Optional(hl7Name('mllp: MSH-4 (MSH-3 is always FOVEA).')),
  },
  { additionalProperties: false },
);

/** How an instance is assigned to a site: the first site whose criteria all match wins. */
export const SiteSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }),
    name: Type.Optional(Type.String()),
    match: Type.Object(
      {
        callingAeTitles: Type.Optional(Type.Array(aeTitle)),
        peerAddresses: Type.Optional(Type.Array(Type.String())),
        pacs: Type.Optional(Type.Array(Type.String())),
        principals: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** The criteria of a routing rule; every criterion given must match (AND), values in a list are OR. */
export const RuleMatchSchema = Type.Object(
  {
    sopClassUids: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    modalities: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    eyes: Type.Optional(Type.Array(eyeValue)),
    seriesDescription: Type.Optional(Type.String({ description: 'Regular expression, case-insensitive.' })),
    manufacturer: Type.Optional(Type.String({ description: 'Regular expression, case-insensitive.' })),
    manufacturerModelName: Type.Optional(
      Type.String({ description: 'Regular expression, case-insensitive.' }),
    ),
    stationName: Type.Optional(Type.String({ description: 'Regular expression, case-insensitive.' })),
    callingAeTitles: Type.Optional(Type.Array(aeTitle)),
    sites: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

/** A routing rule: which instances feed which use cases. */
export const RuleSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }),
    description: Type.Optional(Type.String()),
    match: RuleMatchSchema,
    useCases: Type.Array(Type.String(), { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** A measurement threshold that suggests a worklist bucket (`core/triage.ts`). */
export const MeasurementTriageRuleSchema = Type.Object(
  {
    concept: Type.Object(
      { value: Type.String({ minLength: 1 }), scheme: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    atLeast: Type.Optional(Type.Number()),
    atMost: Type.Optional(Type.Number()),
    unit: Type.String({ minLength: 1 }),
    bucket: Type.Union([
      Type.Literal('stat'),
      Type.Literal('referable'),
      Type.Literal('recapture'),
      Type.Literal('routine'),
    ]),
    reason: Type.String({ minLength: 1, maxLength: 120 }),
  },
  { additionalProperties: false },
);

/**
 * Default measurement rules (macular OCT, issue 5 item 9). First choices, not clinically validated:
 * fluid (IRF + SRF) of ≥ 2 nl in the central 1-mm subfield is centre-involving → referable; a subretinal
 * fluid height of ≥ 500 µm in one A-scan suggests a bullous (serous) retinal detachment → stat; a central
 * subfield thickness (ILM to BM) of ≥ 320 µm is centre-involved thickening (the DRCR Spectralis threshold for
 * men; 305 µm for women) → referable.
 */
export const defaultMeasurementRules = [
  {
    concept: { value: 'CSF-FLUID', scheme: '99FOVEA' },
    atLeast: 0.002,
    unit: 'mm3',
    bucket: 'referable' as const,
    reason: 'centre-involving macular fluid',
  },
  {
    concept: { value: 'SRF-MAX-HEIGHT', scheme: '99FOVEA' },
    atLeast: 500,
    unit: 'um',
    bucket: 'stat' as const,
    reason: 'subretinal fluid dome: possible retinal detachment',
  },
  {
    concept: { value: '57109-1', scheme: 'LN' },
    atLeast: 320,
    unit: 'um',
    bucket: 'referable' as const,
    reason: 'central subfield thickness at or above 320 µm',
  },
];

const phaseValue = Type.Union(
  [Type.Literal('off'), Type.Literal('silent'), Type.Literal('assistive'), Type.Literal('integrated')],
  {
    description:
      'Rollout phase: off (not analysed), silent (stored, never delivered nor shown), assistive and integrated (delivered as preliminary).',
  },
);

/** A use case: a clinical purpose, the analyzers that serve it, and its rollout phase (per site). */
export const UseCaseSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    analyzers: Type.Optional(Type.Array(Type.String())),
    phase: Type.Optional(phaseValue),
    sitePhases: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), phaseValue, {
        description: 'Phase per site id, overriding `phase`.',
      }),
    ),
  },
  { additionalProperties: false },
);

const ophthalmicModalities = ['OP', 'OPT', 'OPV', 'OPM', 'OPTBSV', 'OPTENF', 'OAM', 'SMR'];

/** The whole configuration. */
export const ConfigSchema = Type.Object(
  {
    profile: Type.Union([Type.Literal('production'), Type.Literal('demo')], { default: 'production' }),
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'Address the HTTP and DICOM servers bind.',
    }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    dataDir: Type.String({ minLength: 1, default: './var' }),
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    dicom: Type.Object(
      {
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 11112 }),
        aeTitle: Type.String({ ...aeTitle, default: 'FOVEA' }),
        acceptLoopback: Type.Boolean({ default: true }),
        allowedCallers: Type.Array(AllowedCallerSchema, { default: [] }),
        maxPduLength: Type.Integer({ minimum: 4096, maximum: 16 * 1024 * 1024, default: 262144 }),
        maxAssociations: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
        idleTimeoutSeconds: Type.Number({ minimum: 1, default: 60 }),
        sopClasses: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        transferSyntaxes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
      },
      { additionalProperties: false, default: {} },
    ),
    spool: Type.Object(
      {
        syncDirectories: Type.Boolean({
          default: false,
          description:
            'Also fsync spool directories after each rename and link. Not needed on ext4, XFS or btrfs, where a file fsync persists its name.',
        }),
        adoptPendingAfterSeconds: Type.Number({
          minimum: 1,
          default: 60,
          description:
            'A received instance still not indexed this long after it was committed to the spool is indexed by any process sharing the spool (its receiver died after acknowledging it).',
        }),
        removeTemporaryAfterSeconds: Type.Number({
          minimum: 60,
          default: 900,
          description:
            'A partly received file not written to for this long is deleted (its receiver died; it was never acknowledged). Longer than any sender pauses within one instance.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    dicomweb: Type.Object(
      {
        maxRequestBytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 * 1024 }),
        maxPartBytes: Type.Integer({ minimum: 1024, default: 2 * 1024 * 1024 * 1024 }),
        maxParts: Type.Integer({ minimum: 1, default: 10000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    pacs: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), PacsSchema, { default: {} }),
    watch: Type.Object(
      {
        enabled: Type.Optional(
          Type.Boolean({ description: 'Default: on when the watched PACS has a DICOMweb URL.' }),
        ),
        pacs: Type.String({ default: 'default' }),
        intervalSeconds: Type.Number({ minimum: 0.1, default: 30 }),
        lookbackDays: Type.Integer({ minimum: 0, maximum: 3650, default: 1 }),
        modalities: Type.Array(Type.String({ minLength: 1 }), { default: ophthalmicModalities }),
      },
      { additionalProperties: false, default: {} },
    ),
    assembly: Type.Object(
      {
        quietPeriodSeconds: Type.Number({ minimum: 0, default: 20 }),
        sweepIntervalSeconds: Type.Number({ minimum: 0.05, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    analysis: Type.Object(
      {
        workers: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 1,
          description: 'Analyzer worker threads.',
        }),
        concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 2, description: 'Jobs run at once.' }),
        leaseSeconds: Type.Number({ minimum: 1, default: 30 }),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
        retryBaseSeconds: Type.Number({ minimum: 0.01, default: 2 }),
        retryMaxSeconds: Type.Number({ minimum: 0.01, default: 300 }),
        priors: Type.Object(
          {
            pacs: Type.Optional(
              Type.String({
                description:
                  'Key of `pacs` searched with QIDO-RS and fetched with WADO-RS for priors (default: `default` when it ' +
                  "has a DICOMweb URL; an empty string uses only Fovea's index).",
              }),
            ),
            limit: Type.Integer({
              minimum: 1,
              maximum: 50,
              default: 5,
              description: 'Priors per Case at most.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    analyzers: Type.Object(
      {
        onnx: Type.Array(
          Type.Object(
            {
              manifest: Type.String({
                minLength: 1,
                description:
                  'Path of an ONNX model manifest (JSON or YAML beside the .onnx file); see src/analyzers/onnx/README.md.',
              }),
            },
            { additionalProperties: false },
          ),
          {
            default: [],
            description:
              'Site models registered as analyzers (id from each manifest); a bad manifest or a model hash mismatch stops boot.',
          },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    hl7: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Run the HL7 v2 MLLP server (patient context in).',
        }),
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          default: 2575,
          description: 'MLLP port (FOVEA_MLLP_PORT); 0 picks a free one.',
        }),
        host: Type.Optional(Type.String({ description: 'Address the MLLP server binds (default: `host`).' })),
        maxMessageBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
        idleTimeoutSeconds: Type.Number({ minimum: 0.1, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    fhir: Type.Object(
      {
        baseUrl: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description:
              'FHIR R4 server read for patient context before each analysis (FOVEA_FHIR_URL); unset = none.',
          }),
        ),
        token: Type.Optional(
          Type.String({ minLength: 1, description: 'Bearer token for the FHIR server (FOVEA_FHIR_TOKEN).' }),
        ),
        identifierSystem: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'Identifier system of Patient IDs when a study has no issuer (or a non-URI one); unset = search by value.',
          }),
        ),
        timeoutSeconds: Type.Number({ minimum: 0.1, default: 10 }),
        cacheSeconds: Type.Number({ minimum: 0, default: 300 }),
        deliverResults: Type.Boolean({
          default: false,
          description:
            'Also deliver results to the FHIR server (Observations, DiagnosticReport, Device; final on sign-off).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        apiToken: Type.Optional(
          Type.String({
            minLength: 16,
            description:
              'A bearer token with the `integration` role (FOVEA_API_TOKEN): read studies, findings, worklist.',
          }),
        ),
        ingestToken: Type.Optional(
          Type.String({
            minLength: 16,
            description: 'A bearer token with the `ingest` role (FOVEA_INGEST_TOKEN): STOW-RS.',
          }),
        ),
        sessionIdleMinutes: Type.Number({
          minimum: 1,
          default: 30,
          description: 'A session ends after this idle time.',
        }),
        sessionMaxHours: Type.Number({
          minimum: 0.1,
          default: 12,
          description: 'A session ends this long after sign-in.',
        }),
        maxFailedLogins: Type.Integer({
          minimum: 1,
          default: 5,
          description: 'Failed sign-ins before the account locks.',
        }),
        lockoutMinutes: Type.Number({
          minimum: 0.01,
          default: 15,
          description: 'How long a locked account stays locked.',
        }),
        secureCookies: Type.Boolean({
          default: true,
          description:
            'Mark the session cookie Secure (HTTPS only); the demo profile turns it off for plain HTTP.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    triage: Type.Object(
      {
        releaseConfidence: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.9,
          description:
            'Minimum confidence for a normal result to go to review-and-release; below it the study is routine.',
        }),
        siteReleaseConfidence: Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 1 }), {
          default: {},
          description: 'The threshold per site, overriding `releaseConfidence`.',
        }),
        measurementRules: Type.Array(MeasurementTriageRuleSchema, {
          default: defaultMeasurementRules,
          description:
            'Measurement thresholds that suggest a worklist bucket (concept, unit, atLeast/atMost, bucket, reason); ' +
            'replaces the defaults when set.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    rollout: Type.Object(
      {
        overrides: Type.Record(Type.String(), phaseValue, {
          default: {},
          description: 'Phase per use case (`*` for all) that overrides the use cases; set by FOVEA_PHASES.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    review: Type.Object(
      {
        claimMinutes: Type.Number({
          minimum: 0.1,
          maximum: 1440,
          default: 30,
          description:
            'A reader’s claim of a study ends this long after it was taken or last renewed (claiming again renews it).',
        }),
        drFollowUp: Type.Object(
          {
            none: followUpRule(12, [12, 24]),
            mild: followUpRule(12, [12, 12]),
            moderate: followUpRule(3, [6, 9]),
            severe: followUpRule('immediate', [3, 6]),
            proliferative: followUpRule('immediate', [3, 3]),
            dme: followUpRule(3, [6, 6]),
            ungradable: followUpRule(1, [0, 1]),
          },
          {
            additionalProperties: false,
            default: {},
            description:
              'The DR screening report’s recommendation per ICDR level, suspected DME and ungradable eye: refer ' +
              'within (months or "immediate") and the follow-up interval in months (the worse eye decides); ' +
              'default the ADA table (standards-reference §B.4).',
          },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    delivery: Type.Object(
      {
        destinations: Type.Optional(
          Type.Array(DestinationSchema, {
            description:
              'Where results go. Default: the default PACS, over DIMSE when FOVEA_PACS_DIMSE is set, else STOW-RS. ' +
              'Setting the key replaces the default (list the PACS too when adding an MLLP destination).',
          }),
        ),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
        retryBaseSeconds: Type.Number({ minimum: 0.01, default: 1 }),
        retryMaxSeconds: Type.Number({ minimum: 0.01, default: 300 }),
        timeoutSeconds: Type.Number({ minimum: 1, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    defaultSite: Type.String({ default: 'default' }),
    sites: Type.Array(SiteSchema, { default: [] }),
    routing: Type.Object(
      {
        useCases: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), UseCaseSchema, {
          default: {
            'image-quality': {
              description: 'Gradability of colour fundus photographs',
              analyzers: ['fundus-quality'],
            },
            'dr-screening': { description: 'Diabetic retinopathy screening', analyzers: ['dr-screening'] },
            'dme-quantification': {
              description: 'Macular OCT: thickness and fluid',
              analyzers: ['oct-macula'],
            },
            'glaucoma-progression': {
              description: 'Serial visual fields and RNFL',
              analyzers: ['vf-progression'],
            },
          },
        }),
        rules: Type.Array(RuleSchema, {
          default: [
            {
              id: 'colour-fundus',
              description: 'Colour fundus photographs',
              match: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.77.1.5.1'], modalities: ['OP'] },
              useCases: ['image-quality', 'dr-screening'],
            },
            {
              id: 'macular-oct',
              description:
                'OCT: macular volumes (oct-macula) and peripapillary circle scans (vf-progression); each analyzer declines the other kind',
              match: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.77.1.5.4'], modalities: ['OPT'] },
              useCases: ['dme-quantification', 'glaucoma-progression'],
            },
            {
              id: 'visual-fields',
              description: 'Static perimetry',
              match: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.80.1'] },
              useCases: ['glaucoma-progression'],
            },
          ],
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

/** The validated configuration. */
export type FoveaConfig = Static<typeof ConfigSchema>;
/** One PACS. */
export type PacsConfig = Static<typeof PacsSchema>;
/** One site. */
export type SiteConfig = Static<typeof SiteSchema>;
/** One configured delivery destination. */
export type DestinationConfig = Static<typeof DestinationSchema>;
/** One routing rule. */
export type RuleConfig = Static<typeof RuleSchema>;
/** The criteria of a rule. */
export type RuleMatchConfig = Static<typeof RuleMatchSchema>;
