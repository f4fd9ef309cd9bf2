/**
 * The worker thread that runs analyzers off the main event loop. It loads the registry once, then runs
 * one analysis at a time on request; logs are relayed to the main thread's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toFoveaError } from '../../core/errors.ts';
import type { Logger, LogFields } from '../../core/logger.ts';
import { loadRegistry, type OnnxModelEntry } from '../registry.ts';
import type { Analyzer } from '../sdk/index.ts';
import type { FromWorker, ToWorker } from './messages.ts';
import { spoolPixelAccess } from './pixel-access.ts';
import { runAnalyzer } from './run-analyzer.ts';

const port = parentPort!;
const post = (message: FromWorker): void => {
  port.postMessage(message);
};

function relayLogger(bindings: Record<string, unknown>): Logger {
  const emit =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (fields: LogFields, message: string): void => {
      post({ type: 'log', level, fields: { ...bindings, ...fields }, message });
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => relayLogger({ ...bindings, ...more }),
  };
}

const { modules, onnxModels } = workerData as {
  modules: Record<string, string>;
  onnxModels: readonly OnnxModelEntry[];
};
let registry: Map<string, Analyzer>;
try {
  registry = await loadRegistry(
    Object.fromEntries(Object.entries(modules).map(([id, href]) => [id, new URL(href)])),
    onnxModels,
  );
  post({ type: 'ready' });
} catch (error) {
  const failure = toFoveaError(error);
  post({ type: 'registry-error', code: failure.code, detail: failure.detail ?? failure.message });
  registry = new Map();
}

const running = new Map<number, AbortController>();
port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') {
    running.get(message.runId)?.abort(new Error('aborted by the host'));
    return;
  }
  const analyzer = registry.get(message.analyzerId);
  if (analyzer === undefined) {
    post({
      type: 'failed',
      runId: message.runId,
      code: 'FOVEA_ANALYZER_REGISTRATION',
      detail: `unknown analyzer ${message.analyzerId}`,
    });
    return;
  }
  const controller = new AbortController();
  running.set(message.runId, controller);
  runAnalyzer(analyzer, message.analysisCase, {
    logger: relayLogger({ analyzer: `${analyzer.manifest.id}@${analyzer.manifest.version}` }),
    signal: controller.signal,
    pixels: spoolPixelAccess(message.spoolRoot),
  })
    .then((outcome) => {
      post({ type: 'done', runId: message.runId, outcome });
    })
    .catch((error: unknown) => {
      const failure = toFoveaError(error);
      post({
        type: 'failed',
        runId: message.runId,
        code: failure.code,
        detail: failure.detail ?? failure.spec.title,
      });
    })
    .finally(() => running.delete(message.runId));
});
