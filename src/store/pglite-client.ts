/**
 * {@link SqlClient} on PGlite: PostgreSQL compiled to WebAssembly, embedded in the process, persisted under
 * the data directory. It runs in a worker thread (`pglite-worker.ts`) so that its work never blocks the main
 * event loop. One process only; PGlite serialises transactions, so the same SQL (including
 * `FOR UPDATE SKIP LOCKED`) stays correct.
 */
import { Worker } from 'node:worker_threads';
import { FoveaError } from '../core/errors.ts';
import type { WorkerRequest, WorkerResponse, WorkerSuccess } from './pglite-worker.ts';
import type { SqlClient, SqlResult, SqlRunner } from './sql-client.ts';

interface Pending {
  resolve: (response: WorkerSuccess) => void;
  reject: (error: Error) => void;
}
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Parameters cross the thread boundary by structured clone; Dates become ISO strings PostgreSQL parses. */
function serialise(params: readonly unknown[]): unknown[] {
  return params.map((value) =>
    value instanceof Date
      ? value.toISOString()
      : Array.isArray(value)
        ? value.map((item: unknown) => (item instanceof Date ? item.toISOString() : item))
        : value,
  );
}

/** Opens (creating if needed) an embedded database in `directory`, or in memory when it is undefined. */
export async function openPglite(directory: string | undefined): Promise<SqlClient> {
  const worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), {
    workerData: directory === undefined ? {} : { directory },
  });
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let failure: Error | undefined;
  let ready: () => void = () => undefined;
  let broken: (error: Error) => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    broken = reject;
  });
  worker.on('message', (message: WorkerResponse) => {
    if ('notify' in message) {
      for (const handler of listeners.get(message.notify) ?? []) {
        handler(message.payload);
      }
      return;
    }
    if (message.id === 0) {
      ready();
      return;
    }
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (waiting === undefined) {
      return;
    }
    if (message.ok) {
      waiting.resolve(message);
    } else {
      waiting.reject(
        Object.assign(new Error(message.message), message.code === undefined ? {} : { code: message.code }),
      );
    }
  });
  const die = (error: Error): void => {
    failure ??= new FoveaError('FOVEA_STORE_UNAVAILABLE', {
      detail: 'the embedded database stopped',
      cause: error,
    });
    broken(failure);
    for (const waiting of pending.values()) {
      waiting.reject(failure);
    }
    pending.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => {
    die(new Error(`PGlite worker exited with ${code}`));
  });
  await started;

  const call = (request: Request): Promise<WorkerSuccess> => {
    if (failure !== undefined) {
      return Promise.reject(failure);
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };
  const result = <T>(response: WorkerSuccess): SqlResult<T> => ({
    rows: (response.rows ?? []) as T[],
    rowCount: response.rowCount ?? 0,
  });

  return {
    dialect: 'pglite',
    async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<T>> {
      return result<T>(await call({ type: 'query', text, params: serialise(params) }));
    },
    async transaction<R>(work: (tx: SqlRunner) => Promise<R>): Promise<R> {
      const begun = await call({ type: 'begin' });
      const tx = begun.tx!;
      const runner: SqlRunner = {
        async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<T>> {
          return result<T>(await call({ type: 'tx-query', tx, text, params: serialise(params) }));
        },
      };
      let outcome: R;
      try {
        outcome = await work(runner);
      } catch (error) {
        await call({ type: 'rollback', tx }).catch(() => undefined);
        throw error;
      }
      await call({ type: 'commit', tx });
      return outcome;
    },
    async listen(channel, onNotify) {
      let set = listeners.get(channel);
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        await call({ type: 'listen', channel });
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      if (failure === undefined) {
        await call({ type: 'close' }).catch(() => undefined);
      }
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
