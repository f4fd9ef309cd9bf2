/**
 * `fovea demo` (= `npm run demo`): the gateway on the embedded defaults with the demo profile (loopback peers
 * allowed, short quiet period).
 */
import { startGateway } from '../main/index.ts';
import { configFromArgv, runUntilSignalled } from './serve-command.ts';

/** Runs `fovea demo`. */
export async function runDemoCommand(argv: readonly string[]): Promise<number> {
  const config = configFromArgv(argv, { FOVEA_PROFILE: 'demo', ...process.env });
  if (config === undefined) {
    return 1;
  }
  const gateway = await startGateway(config);
  console.log(`Fovea demo: API ${gateway.httpUrl}/api/studies, DICOM ${config.dicom.aeTitle}@${config.host}:${gateway.dicomPort}`);
  await runUntilSignalled(gateway);
  return 0;
}
