#!/usr/bin/env node
/**
 * The `fovea` command: serve, demo, synth, send, analyze, import-vol, config check, user add, token add, audit verify.
 */
import { runAnalyzeCommand } from './analyze-command.ts';
import { runAuditCommand } from './audit-command.ts';
import { runConfigCommand } from './config-command.ts';
import { runDemoCommand } from './demo-command.ts';
import { runImportVolCommand } from './import-vol-command.ts';
import { runSendCommand } from './send-command.ts';
import { runServeCommand } from './serve-command.ts';
import { runSynthCommand } from './synth-command.ts';
import { runUserCommand } from './user-command.ts';

const usage = `usage: fovea <command> [options]

commands:
  serve                      run the gateway (same as npm start)
  demo                       run the gateway on the demo profile and send it a synthetic cohort
  synth --kind K --out DIR   generate synthetic ophthalmic studies with ground truth
  send PATH... --to H:P      send DICOM files and folders with C-STORE
  analyze PATH... --json     run the analyzers on DICOM files and .vol exports without a server
                             (--out DIR: write the SR; --detail: layer boundaries and thickness maps)
  import-vol FILE... --out D convert Heidelberg .vol exports into Ophthalmic Tomography DICOM (+ SLO)
  config check [FILE]        validate a configuration file
  user add NAME --role R     create a local account (password generated, or --password-stdin)
  token add NAME --role R    create a service token (integration, ingest, admin …), printed once
  audit verify               check the audit hash chain (exit 1 when an event was changed or deleted)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServeCommand(rest);
    case 'demo':
      return runDemoCommand(rest);
    case 'send':
      return runSendCommand(rest);
    case 'analyze':
      return runAnalyzeCommand(rest);
    case 'import-vol':
      return runImportVolCommand(rest);
    case 'config':
      return runConfigCommand(rest);
    case 'synth':
      return runSynthCommand(rest);
    case 'audit':
      return runAuditCommand(rest);
    case 'user':
    case 'token':
      return runUserCommand(command, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command: ${command}\n\n${usage}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
