import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RegistryObserver } from './registry.service';

/** The registry's Prometheus metrics, on a registry of its own (tests start several registries). */
export function createRegistryMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const changes = new Counter({
    name: 'registry_changes_total',
    help: 'Publishes, deletes and rollbacks by kind and outcome (published, unchanged, refused)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const composition = new Histogram({
    name: 'registry_composition_duration_seconds',
    help: 'Time to compose a proposed set of subgraphs and judge it (changes, contract, registered operations)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const current = new Gauge({
    name: 'registry_current_composition_id',
    help: 'The id of the composition each variant serves now',
    labelNames: ['variant'] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'registry_requests_total',
    help: 'GraphQL requests by HTTP status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const supergraphRequests = new Counter({
    name: 'registry_supergraph_requests_total',
    help: 'GET /supergraph by HTTP status (200 a new supergraph, 304 unchanged, 401, 404)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const appsRequests = new Counter({
    name: 'registry_apps_requests_total',
    help: 'GET /apps by HTTP status (200 a new set of active app versions, 304 unchanged, 401, 404)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const usageReports = new Counter({
    name: 'registry_usage_reports_total',
    help: 'POST /usage by outcome (accepted, invalid, too_large, unauthenticated, forbidden, unknown_variant, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const usageRows = new Counter({
    name: 'registry_usage_rows_total',
    help: 'Count rows (client, version, operation, minute) of accepted usage reports',
    registers: [registry],
  });
  const usageDeleted = new Counter({
    name: 'registry_usage_deleted_total',
    help: 'Rows deleted past REGISTRY_USAGE_RETENTION, by table (hour, operation)',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const observer: RegistryObserver = {
    outcome: (kind, outcome) => changes.inc({ kind: kind.toLowerCase(), outcome }),
    composed: (seconds) => composition.observe(seconds),
    current: (variant, id) => current.set({ variant }, Number(id)),
  };
  return { registry, changes, composition, current, requests, supergraphRequests, appsRequests, usageReports, usageRows, usageDeleted, observer };
}

export type RegistryMetrics = ReturnType<typeof createRegistryMetrics>;
