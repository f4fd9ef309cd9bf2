/**
 * Messages between the analyzer pool (main thread) and its worker threads.
 */
import type { AnalysisCase, AnalyzerRunOutcome } from '../sdk/index.ts';

/** Main thread → worker. */
export type ToWorker =
  | {
      readonly type: 'run';
      readonly runId: number;
      readonly analyzerId: string;
      readonly analysisCase: AnalysisCase;
      readonly spoolRoot: string;
    }
  | { readonly type: 'abort'; readonly runId: number };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'registry-error'; readonly code: string; readonly detail: string }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly fields: Record<string, unknown> & { event: number };
      readonly message: string;
    }
  | { readonly type: 'done'; readonly runId: number; readonly outcome: AnalyzerRunOutcome }
  | { readonly type: 'failed'; readonly runId: number; readonly code: string; readonly detail: string };
