/**
 * dr-screening results for the browser test. When the gateway runs the dr-screening analyzer itself (registered
 * and routed), the test waits for the gateway's own analysis. Until then (it is not in the built-in registry
 * yet: src/analyzers/dr-screening/README.md) the analyzer runs on the study's files in a worker pool exactly as
 * `fovea analyze` runs it, its analysis is stored in the gateway's result store, and the study is triaged by the
 * pipeline's triage step — what the gateway does after an analysis job — so the station shows real findings.
 */
import pino from 'pino';
import { AnalyzerPool } from '../../src/analyzers/host/index.ts';
import { triagePolicy } from '../../src/config/index.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { Gateway } from '../../src/main/index.ts';
import { analyzeOffline, readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import { updateStudyTriage } from '../../src/pipeline/triage-step.ts';
import { waitFor } from '../peers/gateway.ts';

const analyzerId = 'dr-screening';

/** Whether the gateway runs dr-screening on the studies it receives. */
export function gatewayRunsDrScreening(gateway: Gateway): boolean {
  return (
    gateway.analyzers.manifests.some((manifest) => manifest.id === analyzerId) &&
    gateway.config.routing.useCases[analyzerId]?.analyzers?.includes(analyzerId) === true
  );
}

/**
 * Runs dr-screening beside the gateway on studies it has received (each given by its UID and files) and triages
 * them; waits for each study to be routed first, so the gateway's own analyses and this one land on one Case.
 */
export async function analyseBesideGateway(
  gateway: Gateway,
  studies: readonly { readonly studyInstanceUid: string; readonly files: readonly string[] }[],
): Promise<void> {
  const logger = pino({ level: 'silent' }) as unknown as Logger;
  const pool = await AnalyzerPool.start({
    spoolRoot: '/',
    logger,
    modules: { [analyzerId]: new URL('../../src/analyzers/dr-screening/index.ts', import.meta.url) },
  });
  try {
    for (const study of studies) {
      await waitFor(
        async () => (await gateway.store.index.getStudy(study.studyInstanceUid))?.state === 'routed',
        60_000,
        'the study routed',
      );
      const [outcome] = await analyzeOffline(await readInstanceFiles(study.files), pool);
      const record = outcome?.analyses.find((analysis) => analysis.record !== undefined)?.record;
      if (record === undefined) {
        throw new Error(`dr-screening gave no analysis: ${JSON.stringify(outcome?.analyses)}`);
      }
      await gateway.results.saveAnalysis(record);
      await updateStudyTriage(
        {
          index: gateway.store.index,
          results: gateway.results,
          policyFor: (site) => triagePolicy(gateway.config, site),
          logger,
        },
        study.studyInstanceUid,
      );
    }
  } finally {
    await pool.close();
  }
}
