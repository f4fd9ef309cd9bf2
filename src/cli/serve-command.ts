/**
 * `fovea serve`: loads the configuration (defaults < `FOVEA_CONFIG` < environment < flags) and runs the
 * gateway until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ConfigError, configFlags, loadConfig, type FoveaConfig } from '../config/index.ts';
import { startGateway, type Gateway } from '../main/index.ts';

/** Parses the flags shared by `serve` and `demo` and loads the configuration. */
export function configFromArgv(argv: readonly string[], env: NodeJS.ProcessEnv): FoveaConfig | undefined {
  const options: Record<string, { type: 'string'; multiple?: boolean }> = {
    config: { type: 'string' },
    set: { type: 'string', multiple: true },
  };
  for (const flag of configFlags) {
    options[flag] = { type: 'string' };
  }
  const { values } = parseArgs({ args: [...argv], options, strict: true });
  try {
    return loadConfig({ env, flags: values });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error('configuration invalid:');
      for (const issue of error.issues) {
        console.error(`  ${issue.path}: ${issue.message}`);
      }
      return undefined;
    }
    throw error;
  }
}

/** Stops the gateway on SIGINT/SIGTERM; resolves when it has stopped. */
export function runUntilSignalled(gateway: Gateway): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void gateway.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs `fovea serve`. */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  const config = configFromArgv(argv, process.env);
  if (config === undefined) {
    return 1;
  }
  const gateway = await startGateway(config);
  await runUntilSignalled(gateway);
  return 0;
}
