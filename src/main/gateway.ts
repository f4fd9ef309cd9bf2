/**
 * The composition root: the only place that knows concrete classes. Reads the validated configuration and
 * builds store → spool → ingest → assembly → watcher → API → DIMSE server, then tears them down in reverse.
 */
import { mkdirSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import {
  buildApi,
  createPrometheusMetrics,
  RenderedImages,
  stationFundusSize,
  type ConfiguredToken,
  type ExplainView,
  type HealthView,
  type RouteRole,
} from '../api/index.ts';
import { AnalyzerPool } from '../analyzers/host/index.ts';
import {
  deliveryDestinations,
  priorsPacs,
  triagePolicy,
  watchEnabled,
  type FoveaConfig,
} from '../config/index.ts';
import type { AnalysisRecord } from '../core/finding.ts';
import type { Job } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import { acceptedStorageSopClasses, acceptedTransferSyntaxes } from '../dicom/codec/index.ts';
import { startDimseServer, type DimseServer, type PresentationContextTable } from '../dicom/dimse/index.ts';
import { runAnalyzeJob, type AnalyzeStepDependencies } from '../pipeline/analyze-step.ts';
import { Assembler } from '../pipeline/assemble.ts';
import { runDeliverJob } from '../pipeline/deliver-step.ts';
import { Dispatcher, type AnalyzeJobPayload } from '../pipeline/dispatch.ts';
import { JobRunner, safetySweepMs } from '../pipeline/job-runner.ts';
import { dicomWebClientFor } from '../pipeline/pacs-clients.ts';
import { combinedPriorFinder, PacsPriorFinder } from '../pipeline/pacs-priors.ts';
import { indexPriorFinder } from '../pipeline/priors.ts';
import { publishAnalysis } from '../pipeline/publish.ts';
import { foveaDevice } from '../pipeline/result-objects.ts';
import { pacsResultSender } from '../pipeline/result-sender.ts';
import { dimseIngestHandlers } from '../pipeline/dimse-ingest.ts';
import { startMllpServer } from '../hl7/index.ts';
import { hl7ContextHandler } from '../pipeline/hl7-context.ts';
import { fhirBackedContext } from '../pipeline/fhir-context.ts';
import { signStudy } from '../pipeline/sign-off.ts';
import { FhirContextClient } from '../fhir/index.ts';
import { Ingest } from '../pipeline/ingest.ts';
import { PacsWatcher } from '../pipeline/pacs-watcher.ts';
import { routeStudy } from '../pipeline/route.ts';
import { resolveSite } from '../pipeline/site.ts';
import { stowIngestHandlers } from '../pipeline/stow-ingest.ts';
import { FileSpool } from '../store/file-spool.ts';
import {
  instanceSpoolPath,
  openStore,
  PgAuditLog,
  PgAuthStore,
  PgPatientContextStore,
  PgResultStore,
  worklistChannel,
  PgReviewStore,
  PgClaimStore,
  type Store,
} from '../store/index.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { createLogger } from './logger.ts';
import { visualFieldDeviations } from './visual-field-deviations.ts';

/** A running gateway. */
export interface Gateway {
  readonly config: FoveaConfig;
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly dicomPort: number;
  /** The HL7 v2 MLLP port, when the server runs. */
  readonly mllpPort?: number;
  readonly store: Store;
  readonly spool: FileSpool;
  readonly ingest: Ingest;
  readonly assembler: Assembler;
  readonly watcher: PacsWatcher | undefined;
  readonly results: PgResultStore;
  /** Accounts, sessions and service tokens of the API. */
  readonly auth: PgAuthStore;
  /** Every API route with the role it needs. */
  readonly routes: readonly RouteRole[];
  /** The hash-chained audit log. */
  readonly audit: PgAuditLog;
  readonly dispatcher: Dispatcher;
  readonly analyzers: AnalyzerPool;
  readonly logger: PinoLogger;
  /**
   * Publishes a stored analysis as the analysis step does after storing it (triage, rollout gate, result
   * objects and their deliveries): for analyses made beside the gateway (tools, tests).
   */
  publish(analysis: AnalysisRecord): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** A logger to use instead of stdout (tests). */
  readonly logger?: PinoLogger;
  /** Identifies this process's job leases (default: host name and PID). */
  readonly workerId?: string;
}

/** The presentation contexts the SCP accepts: configured (or all supported) SOP classes × transfer syntaxes. */
export function presentationContexts(config: FoveaConfig): PresentationContextTable {
  const sopClasses = config.dicom.sopClasses ?? acceptedStorageSopClasses.map((entry) => entry.uid);
  const syntaxes = config.dicom.transferSyntaxes ?? acceptedTransferSyntaxes;
  return new Map(sopClasses.map((uid) => [uid, syntaxes]));
}

/** The bearer tokens of the configuration (`FOVEA_API_TOKEN`: integration, `FOVEA_INGEST_TOKEN`: ingest). */
export function configuredTokens(config: FoveaConfig): ConfiguredToken[] {
  return [
    ...(config.auth.apiToken === undefined
      ? []
      : [{ name: 'FOVEA_API_TOKEN', token: config.auth.apiToken, roles: ['integration' as const] }]),
    ...(config.auth.ingestToken === undefined
      ? []
      : [{ name: 'FOVEA_INGEST_TOKEN', token: config.auth.ingestToken, roles: ['ingest' as const] }]),
  ];
}

/** Starts every part of the gateway. */
export async function startGateway(config: FoveaConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.log.level);
  const log = logger as unknown as Logger;
  logger.info(
    { event: logEvents.BOOT_STARTED, version: packageJson.version, profile: config.profile },
    'Fovea starting',
  );
  const dataDir = resolve(config.dataDir);
  // Analyzers register first: a registration error stops boot before anything else is opened.
  const analyzers = await AnalyzerPool.start({
    spoolRoot: join(dataDir, 'spool'),
    size: config.analysis.workers,
    onnxModels: config.analyzers.onnx,
    logger: log.child({ component: 'analyzers' }),
  });
  mkdirSync(dataDir, { recursive: true });
  const store = await openStore(
    config.databaseUrl === undefined ? { dataDir } : { databaseUrl: config.databaseUrl, dataDir },
  ).catch(async (error: unknown) => {
    await analyzers.close();
    throw error;
  });
  logger.info(
    { event: logEvents.STORE_MIGRATED, backend: store.sql.dialect, applied: store.migrated },
    'store ready',
  );
  const { registry, metrics } = createPrometheusMetrics();
  const spool = new FileSpool(join(dataDir, 'spool'), { syncDirectories: config.spool.syncDirectories });
  await spool.cleanTemporary(config.spool.removeTemporaryAfterSeconds * 1000);
  const contexts = presentationContexts(config);
  const assemblerRef: { current?: Assembler } = {};
  const results = new PgResultStore(store.sql);
  const reviews = new PgReviewStore(store.sql);
  const claims = new PgClaimStore(store.sql);
  const patientContext = new PgPatientContextStore(store.sql);
  const authStore = new PgAuthStore(store.sql);
  const auditLog = new PgAuditLog(store.sql);
  const dispatcher = new Dispatcher({
    config,
    index: store.index,
    jobs: store.jobs,
    manifests: analyzers.manifests,
    logger: log.child({ component: 'dispatch' }),
  });
  const ingest = new Ingest({
    spool,
    index: store.index,
    logger: log.child({ component: 'ingest' }),
    metrics,
    acceptedSopClasses: new Set(contexts.keys()),
    acceptedTransferSyntaxes: new Set(config.dicom.transferSyntaxes ?? acceptedTransferSyntaxes),
  });
  await ingest.recover(config.defaultSite);
  // Processes sharing the spool index what a process that died had acknowledged but not indexed.
  ingest.startUpkeep({
    defaultSite: config.defaultSite,
    adoptAfterMs: config.spool.adoptPendingAfterSeconds * 1000,
    removeTemporaryAfterMs: config.spool.removeTemporaryAfterSeconds * 1000,
    intervalMs: Math.min(30_000, (config.spool.adoptPendingAfterSeconds * 1000) / 2),
  });
  await spool.pruneOrigins(3_600_000);
  const instanceFile = async (uid: string): Promise<string | undefined> => {
    const spoolPath = await instanceSpoolPath(store.sql, uid);
    return spoolPath === undefined ? undefined : spool.resolve(spoolPath);
  };
  const renderedImages = new RenderedImages({ instanceFile });
  /** Renders a routed study's colour photographs for the review station before anyone opens the study. */
  const warmPhotographs = async (studyInstanceUid: string): Promise<void> => {
    try {
      const photographs = (await store.index.listInstances(studyInstanceUid)).filter(
        (instance) => instance.modality === 'OP' && instance.samplesPerPixel === 3,
      );
      await renderedImages.warm(
        photographs.map((instance) => ({
          sopInstanceUid: instance.sopInstanceUid,
          frame: 1,
          maxSize: stationFundusSize,
          format: 'image/jpeg' as const,
        })),
      );
    } catch {
      // Warming is an optimisation: a reader's own request renders (and reports) whatever failed here.
    }
  };
  const assembler = new Assembler({
    index: store.index,
    routing: config.routing,
    quietPeriodMs: config.assembly.quietPeriodSeconds * 1000,
    sweepIntervalMs: config.assembly.sweepIntervalSeconds * 1000,
    logger: log.child({ component: 'assembly' }),
    metrics,
    onRouted: (studyInstanceUid) => {
      dispatcher.trigger();
      void warmPhotographs(studyInstanceUid);
    },
  });
  assemblerRef.current = assembler;
  assembler.start();

  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const destinations = deliveryDestinations(config);
  const useCaseText = (useCase: string): string | undefined => config.routing.useCases[useCase]?.description;
  const publish = (analysis: AnalysisRecord): Promise<void> =>
    publishAnalysis(
      {
        index: store.index,
        results,
        jobs: store.jobs,
        destinations,
        dataDir,
        spoolRoot: spool.root,
        maxDeliveryAttempts: config.delivery.maxAttempts,
        device: foveaDevice(config.dicom.aeTitle, packageJson.version),
        triagePolicy: (site) => triagePolicy(config, site),
        orders: patientContext,
        useCaseText,
        logger: log.child({ component: 'publish' }),
      },
      analysis,
    );
  const priorsPacsId = priorsPacs(config);
  const priorsClient =
    priorsPacsId === undefined
      ? undefined
      : dicomWebClientFor(config, priorsPacsId, log.child({ component: 'dicomweb-client' }));
  const analyzeDeps: AnalyzeStepDependencies = {
    config,
    index: store.index,
    results,
    runner: analyzers,
    context:
      config.fhir.baseUrl === undefined
        ? patientContext
        : fhirBackedContext(
            patientContext,
            new FhirContextClient({
              baseUrl: config.fhir.baseUrl,
              ...(config.fhir.token === undefined ? {} : { token: config.fhir.token }),
              ...(config.fhir.identifierSystem === undefined
                ? {}
                : { identifierSystem: config.fhir.identifierSystem }),
              timeoutMs: config.fhir.timeoutSeconds * 1000,
              cacheSeconds: config.fhir.cacheSeconds,
            }),
            log.child({ component: 'fhir-context' }),
          ),
    priors: combinedPriorFinder(
      indexPriorFinder(store.index, config.analysis.priors.limit),
      priorsPacsId === undefined || priorsClient === undefined
        ? undefined
        : new PacsPriorFinder({
            pacsId: priorsPacsId,
            pacs: priorsClient,
            spoolRoot: spool.root,
            limit: config.analysis.priors.limit,
            logger: log.child({ component: 'priors' }),
          }),
      log.child({ component: 'priors' }),
      config.analysis.priors.limit,
    ),
    publish,
    logger: log.child({ component: 'analysis' }),
  };
  const analysisTimeout = (job: Job): number => {
    const payload = job.payload as unknown as AnalyzeJobPayload;
    const manifest = analyzers.manifests.find((entry) => entry.id === payload.analyzerId);
    // The pool enforces the analyzer's own timeout; the job adds room for loading, storing and publishing.
    return (manifest?.timeoutMs ?? 60_000) + 30_000;
  };
  const analysisRunner = new JobRunner({
    queue: store.jobs,
    workerId: `${workerId}:analyze`,
    handlers: { analyze: (job, signal) => runAnalyzeJob(analyzeDeps, job, signal) },
    concurrency: config.analysis.concurrency,
    leaseMs: config.analysis.leaseSeconds * 1000,
    timeoutMs: analysisTimeout,
    backoff: {
      baseMs: config.analysis.retryBaseSeconds * 1000,
      maxMs: config.analysis.retryMaxSeconds * 1000,
      factor: 2,
      jitter: 0.3,
    },
    logger: log.child({ component: 'jobs', kind: 'analyze' }),
  });
  const sender = pacsResultSender(config, log.child({ component: 'delivery' }));
  const deliveryRunner = new JobRunner({
    queue: store.jobs,
    workerId: `${workerId}:deliver`,
    handlers: {
      deliver: (job, signal) =>
        runDeliverJob(
          { results, destinations, sender, dataDir, logger: log.child({ component: 'delivery' }) },
          job,
          signal,
        ),
    },
    concurrency: 2,
    leaseMs: config.analysis.leaseSeconds * 1000,
    timeoutMs: config.delivery.timeoutSeconds * 2000,
    backoff: {
      baseMs: config.delivery.retryBaseSeconds * 1000,
      maxMs: config.delivery.retryMaxSeconds * 1000,
      factor: 2,
      jitter: 0.2,
    },
    logger: log.child({ component: 'jobs', kind: 'deliver' }),
  });
  await analysisRunner.start();
  await deliveryRunner.start();
  await dispatcher.sweep();
  // A survivor dispatches what a process that died had routed, on the period it takes over that process's jobs.
  dispatcher.start(safetySweepMs(config.analysis.leaseSeconds * 1000));

  let watcher: PacsWatcher | undefined;
  const client = dicomWebClientFor(config, config.watch.pacs, log.child({ component: 'dicomweb-client' }));
  if (watchEnabled(config) && client !== undefined) {
    watcher = new PacsWatcher({
      pacsId: config.watch.pacs,
      pacs: client,
      cursors: store.watchCursors,
      index: store.index,
      ingest,
      site: resolveSite(config.sites, config.defaultSite, { pacsId: config.watch.pacs }),
      modalities: config.watch.modalities,
      intervalMs: config.watch.intervalSeconds * 1000,
      lookbackDays: config.watch.lookbackDays,
      logger: log.child({ component: 'watcher' }),
      metrics,
    });
    watcher.start();
  }

  const running: { dimse?: DimseServer } = {};
  const explain = async (studyInstanceUid: string): Promise<ExplainView | undefined> => {
    const study = await store.index.getStudy(studyInstanceUid);
    if (study === undefined) {
      return undefined;
    }
    const assembly = study.state === 'routed' ? await store.index.getAssembly(studyInstanceUid) : undefined;
    const route =
      assembly?.route ??
      routeStudy(
        config.routing,
        studyInstanceUid,
        study.site,
        await store.index.listInstances(studyInstanceUid),
        new Date(),
      );
    return {
      studyInstanceUid,
      state: study.state,
      basis: assembly === undefined ? 'preview' : 'routed',
      evaluatedAt: route.evaluatedAt.toISOString(),
      useCases: route.useCases.map((entry) => ({
        ...entry,
        analyzers: [...entry.analyzers],
        ruleIds: [...entry.ruleIds],
        sopInstanceUids: [...entry.sopInstanceUids],
      })),
      rules: route.rules.map((rule) => ({
        ...rule,
        matchedInstances: [...rule.matchedInstances],
        reasons: [...rule.reasons],
        useCases: [...rule.useCases],
      })),
    };
  };
  const health = async (): Promise<HealthView> => {
    const checks: HealthView['checks'] = {};
    try {
      await store.sql.query('SELECT 1');
      checks.database = { ok: true, detail: store.sql.dialect };
    } catch {
      checks.database = { ok: false, detail: 'not answering' };
    }
    try {
      await access(spool.root, constants.W_OK);
      checks.spool = { ok: true };
    } catch {
      checks.spool = { ok: false, detail: 'not writable' };
    }
    checks.dicom = {
      ok: running.dimse !== undefined,
      detail: `${config.dicom.aeTitle}@${config.dicom.port}`,
    };
    checks.indexQueue = { ok: ingest.queueDepth < 10_000, detail: String(ingest.queueDepth) };
    const ok = Object.values(checks).every((check) => check.ok);
    return { status: ok ? 'ok' : 'degraded', version: packageJson.version, checks };
  };

  const app = await buildApi({
    version: packageJson.version,
    logger,
    index: store.index,
    explain,
    health,
    metricsRegistry: registry,
    results: {
      results,
      jobs: store.jobs,
      worklistEvents: (listener) => store.sql.listen(worklistChannel, listener),
      claims,
    },
    review: {
      reviews,
      claims,
      claimMinutes: config.review.claimMinutes,
      drFollowUp: config.review.drFollowUp,
      sign: (request) =>
        signStudy(
          {
            index: store.index,
            results,
            reviews,
            jobs: store.jobs,
            destinations,
            dataDir,
            spoolRoot: spool.root,
            maxDeliveryAttempts: config.delivery.maxAttempts,
            device: foveaDevice(config.dicom.aeTitle, packageJson.version),
            organization: config.dicom.aeTitle,
            useCaseText,
            logger: log.child({ component: 'sign-off' }),
          },
          request,
        ),
    },
    context: patientContext,
    images: { instanceFile, renderer: renderedImages },
    visualFieldDeviations,
    audit: auditLog,
    auth: {
      store: authStore,
      tokens: configuredTokens(config),
      sessionIdleMinutes: config.auth.sessionIdleMinutes,
      sessionMaxHours: config.auth.sessionMaxHours,
      maxFailedLogins: config.auth.maxFailedLogins,
      lockoutMinutes: config.auth.lockoutMinutes,
      secureCookies: config.auth.secureCookies,
    },
    stow: {
      handlers: stowIngestHandlers(ingest, config.sites, config.defaultSite),
      limits: {
        maxParts: config.dicomweb.maxParts,
        maxPartBytes: config.dicomweb.maxPartBytes,
        maxTotalBytes: config.dicomweb.maxRequestBytes,
      },
      retrieveBaseUrl: () => undefined,
    },
  });
  await app.listen({ host: config.host, port: config.httpPort });
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
  const dimse = await startDimseServer({
    host: config.host,
    port: config.dicom.port,
    aeTitle: config.dicom.aeTitle,
    contexts,
    handlers: dimseIngestHandlers(ingest, config, metrics),
    logger: log.child({ component: 'dimse' }),
    maxPduLength: config.dicom.maxPduLength,
    maxAssociations: config.dicom.maxAssociations,
    idleTimeoutMs: config.dicom.idleTimeoutSeconds * 1000,
  });
  running.dimse = dimse;
  const mllp = config.hl7.enabled
    ? await startMllpServer({
        host: config.hl7.host ?? config.host,
        port: config.hl7.port,
        handler: hl7ContextHandler({ context: patientContext, logger: log.child({ component: 'hl7' }) }),
        logger: log.child({ component: 'mllp' }),
        maxMessageBytes: config.hl7.maxMessageBytes,
        idleTimeoutMs: config.hl7.idleTimeoutSeconds * 1000,
        application: 'FOVEA',
      })
    : undefined;
  const httpHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const httpUrl = `http://${httpHost}:${httpPort}`;
  logger.info(
    {
      event: logEvents.BOOT_LISTENING,
      http: httpUrl,
      dicom: `${config.dicom.aeTitle}@${config.host}:${dimse.port}`,
      ...(mllp === undefined ? {} : { mllp: `${config.hl7.host ?? config.host}:${mllp.port}` }),
    },
    'listening',
  );
  logger.info({ event: logEvents.BOOT_READY }, 'Fovea ready');

  let closing: Promise<void> | undefined;
  return {
    config,
    httpUrl,
    httpPort,
    dicomPort: dimse.port,
    ...(mllp === undefined ? {} : { mllpPort: mllp.port }),
    store,
    spool,
    ingest,
    assembler,
    watcher,
    results,
    auth: authStore,
    routes: app.routeTable,
    audit: auditLog,
    dispatcher,
    analyzers,
    logger,
    publish,
    close() {
      closing ??= (async () => {
        logger.info({ event: logEvents.SHUTDOWN_STARTED }, 'Fovea stopping');
        await dimse.close();
        await mllp?.close();
        await app.close();
        await watcher?.stop();
        await ingest.close();
        await assembler.stop();
        await dispatcher.stop();
        await Promise.all([analysisRunner.stop(), deliveryRunner.stop()]);
        await analyzers.close();
        await spool.close();
        await store.close();
        logger.info({ event: logEvents.SHUTDOWN_DONE }, 'Fovea stopped');
      })();
      return closing;
    },
  };
}
