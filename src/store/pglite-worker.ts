/**
 * The worker thread that hosts PGlite, so that PostgreSQL's WebAssembly work never blocks the main event loop
 * (DIMSE, HTTP). The main thread talks to it through {@link openPgliteWorker}'s message protocol: plain
 * queries, and transactions held open across messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';

/** Requests the main thread sends. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly type: 'query';
      readonly text: string;
      readonly params: readonly unknown[];
    }
  | { readonly id: number; readonly type: 'begin' }
  | {
      readonly id: number;
      readonly type: 'tx-query';
      readonly tx: number;
      readonly text: string;
      readonly params: readonly unknown[];
    }
  | { readonly id: number; readonly type: 'commit' | 'rollback'; readonly tx: number }
  | { readonly id: number; readonly type: 'listen'; readonly channel: string }
  | { readonly id: number; readonly type: 'close' };

/** A successful answer. */
export interface WorkerSuccess {
  readonly id: number;
  readonly ok: true;
  readonly rows?: unknown[];
  readonly rowCount?: number;
  readonly tx?: number;
}

/** Answers the worker sends back. */
export type WorkerResponse =
  | WorkerSuccess
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string }
  | { readonly notify: string; readonly payload: string };

interface OpenTransaction {
  readonly tx: Transaction;
  readonly finish: (commit: boolean) => void;
  readonly done: Promise<void>;
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) {
    return;
  }
  const directory = (workerData as { directory?: string }).directory;
  const db = directory === undefined ? await PGlite.create() : await PGlite.create(directory);
  const transactions = new Map<number, OpenTransaction>();
  let nextTx = 1;
  const reply = (message: WorkerResponse): void => {
    port.postMessage(message);
  };
  const fail = (id: number, error: unknown): void => {
    const { message, code } = error as { message?: string; code?: string };
    reply({ id, ok: false, message: message ?? String(error), ...(code === undefined ? {} : { code }) });
  };
  port.on('message', (request: WorkerRequest) => {
    void (async () => {
      try {
        switch (request.type) {
          case 'query': {
            const result = await db.query(request.text, [...request.params]);
            reply({
              id: request.id,
              ok: true,
              rows: result.rows,
              rowCount: result.affectedRows ?? result.rows.length,
            });
            return;
          }
          case 'begin': {
            const txId = nextTx++;
            let started: (tx: Transaction) => void = () => undefined;
            const ready = new Promise<Transaction>((resolve) => {
              started = resolve;
            });
            let finish: (commit: boolean) => void = () => undefined;
            const decided = new Promise<boolean>((resolve) => {
              finish = resolve;
            });
            const done = db
              .transaction(async (tx) => {
                started(tx);
                if (!(await decided)) {
                  await tx.rollback();
                }
              })
              .then(() => undefined);
            const tx = await Promise.race([ready, done.then(() => undefined)]);
            if (tx === undefined) {
              throw new Error('transaction could not start');
            }
            transactions.set(txId, { tx, finish, done });
            reply({ id: request.id, ok: true, tx: txId });
            return;
          }
          case 'tx-query': {
            const open = transactions.get(request.tx);
            if (open === undefined) {
              throw new Error('no such transaction');
            }
            const result = await open.tx.query(request.text, [...request.params]);
            reply({
              id: request.id,
              ok: true,
              rows: result.rows,
              rowCount: result.affectedRows ?? result.rows.length,
            });
            return;
          }
          case 'commit':
          case 'rollback': {
            const open = transactions.get(request.tx);
            if (open === undefined) {
              throw new Error('no such transaction');
            }
            transactions.delete(request.tx);
            open.finish(request.type === 'commit');
            await open.done;
            reply({ id: request.id, ok: true });
            return;
          }
          case 'listen': {
            await db.listen(request.channel, (payload) => {
              reply({ notify: request.channel, payload });
            });
            reply({ id: request.id, ok: true });
            return;
          }
          case 'close': {
            await db.close();
            reply({ id: request.id, ok: true });
            return;
          }
        }
      } catch (error) {
        fail(request.id, error);
      }
    })();
  });
  port.postMessage({ id: 0, ok: true });
}

await serve();
