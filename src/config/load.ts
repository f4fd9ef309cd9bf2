/**
 * Loading the configuration: defaults < file (`FOVEA_CONFIG`, JSON or YAML) < environment < flags, then one
 * validation that reports every problem with its path, then a deep freeze.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { FoveaError } from '../core/errors.ts';
import type { ConfigIssue } from './issue.ts';
import { ConfigSchema, type FoveaConfig } from './schema.ts';
import { checkSemantics } from './semantics.ts';

/** Thrown when the configuration is invalid; carries every issue. */
export class ConfigError extends FoveaError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('FOVEA_CONFIG_INVALID', {
      detail: issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
    });
    this.issues = issues;
  }
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key, arrays and scalars replace. */
export function mergeConfig(base: Plain, overlay: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === undefined) {
      continue;
    }
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

/** Sets `value` at a dotted path, creating objects on the way. */
function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlain(next)) {
      node[key] = {};
    }
    node = node[key] as Plain;
  }
  node[keys.at(-1)!] = value;
}

/** Environment variables and the config path each sets, with how to read the string. */
const envMap: readonly [string, string, 'string' | 'integer' | 'number' | 'boolean'][] = [
  ['FOVEA_PROFILE', 'profile', 'string'],
  ['FOVEA_HOST', 'host', 'string'],
  ['FOVEA_HTTP_PORT', 'httpPort', 'integer'],
  ['FOVEA_DATA_DIR', 'dataDir', 'string'],
  ['FOVEA_DATABASE_URL', 'databaseUrl', 'string'],
  ['FOVEA_LOG_LEVEL', 'log.level', 'string'],
  ['FOVEA_DICOM_PORT', 'dicom.port', 'integer'],
  ['FOVEA_DICOM_AET', 'dicom.aeTitle', 'string'],
  ['FOVEA_PACS_DICOMWEB_URL', 'pacs.default.dicomweb.url', 'string'],
  ['FOVEA_PACS_USER', 'pacs.default.dicomweb.user', 'string'],
  ['FOVEA_PACS_PASSWORD', 'pacs.default.dicomweb.password', 'string'],
  ['FOVEA_PACS_TOKEN', 'pacs.default.dicomweb.bearerToken', 'string'],
  ['FOVEA_WATCH_ENABLED', 'watch.enabled', 'boolean'],
  ['FOVEA_WATCH_INTERVAL_SECONDS', 'watch.intervalSeconds', 'number'],
  ['FOVEA_QUIET_PERIOD_SECONDS', 'assembly.quietPeriodSeconds', 'number'],
  ['FOVEA_API_TOKEN', 'auth.apiToken', 'string'],
  ['FOVEA_MLLP_PORT', 'hl7.port', 'integer'],
  ['FOVEA_FHIR_URL', 'fhir.baseUrl', 'string'],
  ['FOVEA_FHIR_TOKEN', 'fhir.token', 'string'],
  ['FOVEA_INGEST_TOKEN', 'auth.ingestToken', 'string'],
];

/** The environment variables Fovea reads (for documentation and `config check`). */
export const configEnvironmentVariables: readonly string[] = [
  'FOVEA_CONFIG',
  ...envMap.map(([name]) => name),
  'FOVEA_PACS_DIMSE',
  'FOVEA_DICOM_ALLOWED_CALLERS',
  'FOVEA_PHASES',
];

function coerce(
  raw: string,
  kind: 'string' | 'integer' | 'number' | 'boolean',
  source: string,
  issues: ConfigIssue[],
): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'integer':
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value) || (kind === 'integer' && !Number.isInteger(value))) {
        issues.push({ path: source, message: `must be ${kind === 'integer' ? 'an integer' : 'a number'}` });
        return undefined;
      }
      return value;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/iu.test(raw)) {
        return true;
      }
      if (/^(0|false|no|off)$/iu.test(raw)) {
        return false;
      }
      issues.push({ path: source, message: 'must be true or false' });
      return undefined;
  }
}

/** Parses `AET@host:port`. */
function parseDimsePeer(raw: string): { aeTitle: string; host: string; port: number } | undefined {
  const match = /^([^@]{1,16})@(\[[^\]]+\]|[^:]+):(\d{1,5})$/u.exec(raw.trim());
  if (match === null) {
    return undefined;
  }
  return { aeTitle: match[1]!, host: match[2]!.replace(/^\[|\]$/gu, ''), port: Number(match[3]) };
}

/** Reads the environment into a partial configuration. */
export function configFromEnvironment(env: NodeJS.ProcessEnv, issues: ConfigIssue[]): Plain {
  const out: Plain = {};
  for (const [name, path, kind] of envMap) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') {
      const value = coerce(raw, kind, `env ${name}`, issues);
      if (value !== undefined) {
        setPath(out, path, value);
      }
    }
  }
  const dimse = env.FOVEA_PACS_DIMSE;
  if (dimse !== undefined && dimse !== '') {
    const peer = parseDimsePeer(dimse);
    if (peer === undefined) {
      issues.push({ path: 'env FOVEA_PACS_DIMSE', message: 'must be AET@host:port' });
    } else {
      setPath(out, 'pacs.default.dimse', peer);
    }
  }
  const phases = env.FOVEA_PHASES;
  if (phases !== undefined && phases !== '') {
    const overrides: Record<string, string> = {};
    for (const entry of phases.split(',')) {
      const [useCase = '', phase = ''] = entry.trim().split(':');
      if (useCase === '' || !['off', 'silent', 'assistive', 'integrated'].includes(phase)) {
        issues.push({
          path: 'env FOVEA_PHASES',
          message: `"${entry.trim()}" must be use-case:phase with phase off, silent, assistive or integrated`,
        });
      } else {
        overrides[useCase] = phase;
      }
    }
    setPath(out, 'rollout.overrides', overrides);
  }
  const callers = env.FOVEA_DICOM_ALLOWED_CALLERS;
  if (callers !== undefined && callers !== '') {
    setPath(
      out,
      'dicom.allowedCallers',
      callers.split(',').map((entry) => {
        const [aeTitle = '', host] = entry.trim().split('@');
        return host === undefined ? { aeTitle } : { aeTitle, host };
      }),
    );
  }
  return out;
}

/** Command-line flags and the config path each sets. */
const flagMap: readonly [string, string, 'string' | 'integer' | 'number' | 'boolean'][] = [
  ['profile', 'profile', 'string'],
  ['host', 'host', 'string'],
  ['http-port', 'httpPort', 'integer'],
  ['data-dir', 'dataDir', 'string'],
  ['database-url', 'databaseUrl', 'string'],
  ['log-level', 'log.level', 'string'],
  ['dicom-port', 'dicom.port', 'integer'],
  ['dicom-aet', 'dicom.aeTitle', 'string'],
  ['quiet-period', 'assembly.quietPeriodSeconds', 'number'],
];

/** Flags `fovea serve` understands (besides `--config` and repeatable `--set path=value`). */
export const configFlags: readonly string[] = flagMap.map(([flag]) => flag);

/** Reads parsed command-line flags into a partial configuration. */
export function configFromFlags(
  flags: Readonly<Record<string, string | readonly string[] | boolean | undefined>>,
  issues: ConfigIssue[],
): Plain {
  const out: Plain = {};
  for (const [flag, path, kind] of flagMap) {
    const raw = flags[flag];
    if (typeof raw === 'string') {
      const value = coerce(raw, kind, `--${flag}`, issues);
      if (value !== undefined) {
        setPath(out, path, value);
      }
    }
  }
  const sets = flags.set;
  const assignments: readonly string[] =
    typeof sets === 'string' ? [sets] : Array.isArray(sets) ? (sets as readonly string[]) : [];
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) {
      issues.push({ path: `--set ${assignment}`, message: 'must be path=value' });
      continue;
    }
    setPath(out, assignment.slice(0, at), parseFlagValue(assignment.slice(at + 1)));
  }
  return out;
}

/** A `--set` value: JSON when it parses as JSON, else the plain string. */
function parseFlagValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Reads a JSON or YAML config file. */
export function readConfigFile(path: string, issues: ConfigIssue[]): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    issues.push({
      path: `file ${path}`,
      message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return {};
  }
  try {
    const parsed: unknown = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) {
      return {};
    }
    if (!isPlain(parsed)) {
      issues.push({ path: `file ${path}`, message: 'must hold an object at the top level' });
      return {};
    }
    return parsed;
  } catch (error) {
    issues.push({
      path: `file ${path}`,
      message: `is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    });
    return {};
  }
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

/** Validates a merged configuration against the schema and the cross-key rules; returns all issues. */
export function validateConfig(candidate: Plain): { config?: FoveaConfig; issues: ConfigIssue[] } {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(candidate)) as Plain;
  const issues: ConfigIssue[] = [];
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    if (error.keyword === 'boolean') {
      continue;
    }
    let path = pointerToPath(error.instancePath);
    let message = error.message;
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      path = [path, extra[0]].filter((part) => part !== '' && part !== undefined).join('.');
      message = 'is not a known key';
    }
    issues.push({ path: path === '' ? '(root)' : path, message });
  }
  if (issues.length > 0) {
    return { issues };
  }
  const config = withDefaults as FoveaConfig;
  issues.push(...checkSemantics(config));
  return issues.length > 0 ? { issues } : { config, issues };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

/** Sources of a configuration. */
export interface ConfigSources {
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: Readonly<Record<string, string | readonly string[] | boolean | undefined>>;
  /** The config file; defaults to `env.FOVEA_CONFIG` or the `config` flag. */
  readonly file?: string;
}

/** Loads, merges, validates and freezes the configuration; throws {@link ConfigError} with every issue. */
export function loadConfig(sources: ConfigSources = {}): FoveaConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const issues: ConfigIssue[] = [];
  const flagFile = typeof flags.config === 'string' ? flags.config : undefined;
  const file = sources.file ?? flagFile ?? env.FOVEA_CONFIG;
  let merged: Plain = {};
  if (file !== undefined && file !== '') {
    merged = mergeConfig(merged, readConfigFile(file, issues));
  }
  merged = mergeConfig(merged, configFromEnvironment(env, issues));
  merged = mergeConfig(merged, configFromFlags(flags, issues));
  if (merged.profile === 'demo') {
    merged = mergeConfig(demoOverrides, merged);
  }
  const result = validateConfig(merged);
  const all = [...issues, ...result.issues];
  if (all.length > 0 || result.config === undefined) {
    throw new ConfigError(all);
  }
  return deepFreeze(result.config);
}

/** What the demo profile changes from the defaults (anything the user sets still wins). */
const demoOverrides: Plain = {
  assembly: { quietPeriodSeconds: 5 },
  auth: { secureCookies: false },
};

/** A copy of the configuration with secrets replaced, safe to print and log. */
export function redactConfig(config: FoveaConfig): Plain {
  const copy = structuredClone(config) as Plain;
  const walk = (node: unknown): void => {
    if (!isPlain(node)) {
      if (Array.isArray(node)) {
        node.forEach(walk);
      }
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (/password|token|secret/iu.test(key) && typeof value === 'string') {
        node[key] = '***';
      } else if (key === 'databaseUrl' && typeof value === 'string') {
        node[key] = value.replace(/\/\/([^:@/]+):[^@/]*@/u, '//$1:***@');
      } else {
        walk(value);
      }
    }
  };
  walk(copy);
  return copy;
}
