/**
 * `fovea user add NAME --role R [--role R…] [--password-stdin]`: creates a local account (the password is read
 * from standard input, or generated and printed once). `fovea token add NAME --role R`: creates a service
 * token for an integration and prints it once (only its SHA-256 is stored). Both work on the configured
 * database (the same flags and environment as `fovea serve`).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAccount } from '../api/index.ts';
import { passwordProblems, randomSecret, secretHash } from '../auth/index.ts';
import type { FoveaConfig } from '../config/index.ts';
import { roles, type Role } from '../core/roles.ts';
import { openStore, PgAuthStore, type Store } from '../store/index.ts';
import { configFromArgv } from './serve-command.ts';

const usage = `usage:
  fovea user add NAME --role ROLE [--role ROLE…] [--password-stdin] [config flags]
  fovea token add NAME --role ROLE [--role ROLE…] [config flags]
roles: ${roles.filter((role) => role !== 'public').join(', ')}`;

/** Opens the configured store (as `fovea serve` does). */
export async function openConfiguredStore(config: FoveaConfig): Promise<Store> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return openStore(
    config.databaseUrl === undefined ? { dataDir } : { databaseUrl: config.databaseUrl, dataDir },
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/u, '');
}

/** Runs `fovea user …` or `fovea token …` (`kind`). */
export async function runUserCommand(kind: 'user' | 'token', argv: readonly string[]): Promise<number> {
  const [action, name, ...rest] = argv;
  const own = parseArgs({
    args: rest,
    strict: false,
    options: { role: { type: 'string', multiple: true }, 'password-stdin': { type: 'boolean' } },
  });
  const granted = (own.values.role ?? []).filter((role): role is string => typeof role === 'string');
  if (action !== 'add' || name === undefined || name.startsWith('-') || granted.length === 0) {
    console.error(usage);
    return 2;
  }
  const unknown = granted.filter((role) => role === 'public' || !(roles as readonly string[]).includes(role));
  if (unknown.length > 0) {
    console.error(`unknown role: ${unknown.join(', ')}\n${usage}`);
    return 2;
  }
  const passThrough = rest.filter(
    (arg, index) => !arg.startsWith('--role') && arg !== '--password-stdin' && rest[index - 1] !== '--role',
  );
  const config = configFromArgv(passThrough, process.env);
  if (config === undefined) {
    return 1;
  }
  const store = await openConfiguredStore(config);
  try {
    const auth = new PgAuthStore(store.sql);
    if (kind === 'token') {
      const token = randomSecret();
      await auth.saveToken({
        hash: secretHash(token),
        name,
        roles: granted as Role[],
        createdAt: new Date(),
      });
      console.log(
        `token for ${name} (${granted.join(', ')}), shown once — send it as "Authorization: Bearer …":`,
      );
      console.log(token);
      return 0;
    }
    const generated = own.values['password-stdin'] !== true;
    const password = generated ? randomSecret(15) : await readStdin();
    const problems = passwordProblems(password, name);
    if (problems.length > 0) {
      console.error(`password rejected: ${problems.join('; ')}`);
      return 1;
    }
    if (!(await createAccount(auth, name, password, granted as Role[]))) {
      console.error(`an account named ${name} exists already`);
      return 1;
    }
    console.log(`account ${name} created (${granted.join(', ')})`);
    if (generated) {
      console.log(`password, shown once: ${password}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
