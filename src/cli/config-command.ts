/**
 * `fovea config check [FILE]`: validates a configuration file as the gateway would load it (defaults < file <
 * environment) and prints every problem with its path, or the effective configuration with secrets redacted.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactConfig } from '../config/index.ts';

/** Runs `fovea config …`. */
export function runConfigCommand(argv: readonly string[]): number {
  const [action, ...rest] = argv;
  if (action !== 'check') {
    console.error('usage: fovea config check [FILE] [--print]');
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { print: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  try {
    const config = loadConfig({ env: process.env, ...(file === undefined ? {} : { file }) });
    console.log(`configuration OK${file === undefined ? '' : `: ${file}`}`);
    if (values.print) {
      console.log(JSON.stringify(redactConfig(config), null, 2));
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(
        `configuration invalid (${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}):`,
      );
      for (const issue of error.issues) {
        console.error(`  ${issue.path}: ${issue.message}`);
      }
      return 1;
    }
    throw error;
  }
}
