/**
 * The storage SCP server: listens on an explicit host, accepts associations (Verification and the storage
 * SOP classes of the presentation context table) and streams each C-STORE data set to the owner's sink.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part08.html#sect_9.2
 */
import { createServer, type Server } from 'node:net';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import { ScpAssociation, type ScpHost, type ScpSettings } from './scp-association.ts';
import type { DimseServer, DimseServerOptions } from './scp-types.ts';
import { defaultImplementationClassUid, defaultImplementationVersionName } from './uids.ts';

/** Default maximum P-DATA-TF length we accept: large PDUs mean fewer headers and syscalls per instance. */
const defaultMaxPduLength = 262_144;
/** A-ASSOCIATE-RQ PDUs with 128 contexts and many transfer syntaxes stay well below this. */
const maxAssociatePduLength = 1_048_576;

function invalid(detail: string, path: string): FoveaError {
  return new FoveaError('FOVEA_CONFIG_INVALID', { detail, path });
}

function resolveSettings(options: DimseServerOptions): ScpSettings {
  const aeTitle = options.aeTitle.trim();
  if (aeTitle.length === 0 || aeTitle.length > 16 || /[\\\p{Cc}]/u.test(aeTitle)) {
    throw invalid('an AE title has 1 to 16 characters, no backslash or control characters', 'aeTitle');
  }
  const maxPduLength = options.maxPduLength ?? defaultMaxPduLength;
  if (!Number.isInteger(maxPduLength) || maxPduLength < 4096 || maxPduLength > 0x7fffffff) {
    throw invalid('maxPduLength must be an integer of at least 4096', 'maxPduLength');
  }
  const positive = (value: number | undefined, fallback: number, path: string): number => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved <= 0) {
      throw invalid(`${path} must be positive`, path);
    }
    return resolved;
  };
  const versionName = options.implementationVersionName ?? defaultImplementationVersionName;
  if (versionName.length === 0 || versionName.length > 16) {
    throw invalid('implementationVersionName has 1 to 16 characters', 'implementationVersionName');
  }
  return {
    aeTitle,
    contexts: options.contexts,
    handlers: options.handlers,
    logger: options.logger.child({ component: 'dimse-scp', aeTitle }),
    maxPduLength,
    maxAssociatePduLength: Math.max(maxAssociatePduLength, maxPduLength),
    idleTimeoutMs: positive(options.idleTimeoutMs, 60_000, 'idleTimeoutMs'),
    artimTimeoutMs: positive(options.artimTimeoutMs, 30_000, 'artimTimeoutMs'),
    maxAssociations: positive(options.maxAssociations, 64, 'maxAssociations'),
    implementationClassUid: options.implementationClassUid ?? defaultImplementationClassUid,
    implementationVersionName: versionName,
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new FoveaError('FOVEA_CONFIG_INVALID', {
          detail: `cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          path: 'port',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(address !== null && typeof address === 'object' ? address.port : port);
    });
  });
}

/**
 * Starts a DICOM storage SCP (C-ECHO and C-STORE) on `host:port`.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.2
 */
export async function startDimseServer(options: DimseServerOptions): Promise<DimseServer> {
  const settings = resolveSettings(options);
  const logger = settings.logger;
  const associations = new Set<ScpAssociation>();
  const host: ScpHost = {
    settings,
    activeAssociations() {
      let count = 0;
      for (const association of associations) {
        if (association.occupiesSlot) {
          count += 1;
        }
      }
      return count;
    },
    closed(association) {
      associations.delete(association);
    },
  };
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  server.on('connection', (socket) => {
    try {
      associations.add(new ScpAssociation(socket, host));
    } catch (error) {
      logger.error({ event: logEvents.INTERNAL_ERROR, err: error }, 'cannot serve a connection');
      socket.destroy();
    }
  });
  const port = await listen(server, options.host, options.port);
  server.on('error', (error) => {
    logger.error({ event: logEvents.INTERNAL_ERROR, err: error }, 'DIMSE server error');
  });
  logger.info(
    { event: logEvents.DIMSE_SERVER_LISTENING, host: options.host, port },
    'DIMSE server listening',
  );

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          logger.info({ event: logEvents.DIMSE_SERVER_CLOSED, port }, 'DIMSE server closed');
          resolve();
        });
        for (const association of associations) {
          association.shutdown();
        }
      });
      return closing;
    },
  };
}
