/**
 * The analyzer host: the worker-thread pool that runs registered analyzers for the pipeline.
 */
export { AnalyzerPool, type AnalyzerPoolOptions } from './analyzer-pool.ts';
export { runAnalyzer } from './run-analyzer.ts';
export { spoolPixelAccess } from './pixel-access.ts';
