/**
 * The logger port: a subset of pino's interface so that inner rings can log without importing pino.
 * Every line carries a numbered `event` (see `log-events.ts`) and never PHI.
 */

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown> & { readonly event: number };

/** A structured logger. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (for unit tests and tools that must stay quiet). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
