/**
 * `fovea audit verify [config flags]`: recomputes the audit hash chain from the first event and says whether it
 * is intact, or which event is the first that was changed, inserted or deleted (exit code 1).
 */
import { PgAuditLog } from '../store/index.ts';
import { configFromArgv } from './serve-command.ts';
import { openConfiguredStore } from './user-command.ts';

/** Runs `fovea audit verify`. */
export async function runAuditCommand(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'verify') {
    console.error('usage: fovea audit verify [config flags]');
    return 2;
  }
  const config = configFromArgv(rest, process.env);
  if (config === undefined) {
    return 1;
  }
  const store = await openConfiguredStore(config);
  try {
    const result = await new PgAuditLog(store.sql).verify();
    if (result.ok) {
      console.log(`audit chain intact: ${result.events} events`);
      return 0;
    }
    console.log(
      `audit chain BROKEN at event ${result.broken?.seq ?? '?'}: ${result.broken?.reason ?? ''} ` +
        `(${result.events} events verified before it)`,
    );
    return 1;
  } finally {
    await store.close();
  }
}
