/**
 * The process logger: pino, JSON lines on stdout, numbered events, secrets and PHI-bearing fields redacted.
 */
import pino, { type Logger as PinoLogger } from 'pino';

/** Creates the root logger. */
export function createLogger(level: string, destination?: pino.DestinationStream): PinoLogger {
  return pino(
    {
      level,
      base: { service: 'fovea' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          '*.password',
          '*.bearerToken',
          'patientName',
          'patientId',
          'patientBirthDate',
          '*.patientName',
          '*.patientId',
          '*.patientBirthDate',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
