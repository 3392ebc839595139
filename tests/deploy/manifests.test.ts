import { loadGatewayConfig } from '@zigong/gateway';
import { ConfigError, loadSubgraphConfig, PUBLISHED_SECRETS } from '@zigong/kit';
import { readRegistry, ROOT, type RegisteredSubgraph } from '@zigong/local';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The deployment files (infra/docker, infra/docker-compose.yml, infra/k8s, infra/router), checked
 * by parsing them: no Docker engine or cluster is needed. Every department in supergraph.yaml must
 * be deployed everywhere; `node infra/k8s/generate.js` writes its files.
 */

type Obj = Record<string, any>;

interface Generator {
  render(registry: Array<{ name: string; routingUrl: string }>, current: { routerYaml: string }): Map<string, string>;
  staleFiles(files: Map<string, string>): string[];
}
const generator: Generator = require('../../infra/k8s/generate.js');

const path = (...parts: string[]) => join(ROOT, ...parts);
const read = (file: string) => readFileSync(path(file), 'utf8');
const K8S = 'infra/k8s';
const SECRET_EXAMPLE = `${K8S}/secret.example.yaml`;
/** Environment variables whose value is a credential: never a literal in a manifest. */
const SECRET_NAME = /SECRET|PASSWORD|(^|_)TOKEN$|_KEY$|DATABASE_URL|REDIS_URL/;
/** A URL that carries a password. */
const CREDENTIAL_URL = /[a-z+]+:\/\/[^\s/:@]+:[^\s/@]+@/i;

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(path(dir)).flatMap((entry) => {
    const file = `${dir}/${entry}`;
    if (statSync(path(file)).isDirectory()) return filesUnder(file, pattern);
    return pattern.test(entry) ? [file] : [];
  });
}

function documents(file: string): Obj[] {
  return parseAllDocuments(read(file)).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS() as Obj;
  }).filter(Boolean);
}

const departments = () =>
  readRegistry().map((entry: RegisteredSubgraph) => ({
    name: entry.name,
    port: Number(new URL(entry.routingUrl).port),
    urlVariable: `SUBGRAPH_${entry.name.toUpperCase()}_URL`,
  }));

interface Located extends Obj {
  file: string;
}

/** Every Kubernetes object under a folder, with the file it came from. */
function objectsUnder(dir: string): Located[] {
  return filesUnder(dir, /\.ya?ml$/)
    .filter((file) => file !== SECRET_EXAMPLE)
    .flatMap((file) => documents(file).map((doc) => ({ ...doc, file })))
    .filter((doc) => doc.apiVersion && doc.kind && !/^kustomize\.config\.k8s\.io/.test(doc.apiVersion));
}

const base = () => objectsUnder(`${K8S}/base`);
const find = (objects: Located[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const envOf = (container: Obj) => Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e]));
const matches = (selector: Obj, labels: Obj) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

/** A probe's or Service's port, by name or number, as the container's port number. */
function portNumber(container: Obj, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: Obj) => p.name === port)?.containerPort;
}

function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`memory quantities here are written in Mi or Gi, got ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** What every long-running service needs: probes on the right paths and port, resources, safety. */
function checkServing(deployment: Obj, port: number) {
  expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns it
  const pod = deployment.spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  const [container] = pod.containers;
  expect(container.image).toBe('zigong/platform');
  expect(portNumber(container, container.readinessProbe.httpGet.port)).toBe(port);
  expect(container.readinessProbe.httpGet.path).toBe('/ready');
  expect(portNumber(container, container.livenessProbe.httpGet.port)).toBe(port);
  expect(container.livenessProbe.httpGet.path).toBe('/health');
  for (const kind of ['requests', 'limits']) {
    expect(container.resources?.[kind]?.cpu).toBeDefined();
    expect(container.resources?.[kind]?.memory).toBeDefined();
  }
  expect(mebibytes(container.resources.limits.memory)).toBeLessThanOrEqual(512);
  expect(mebibytes(container.resources.requests.memory)).toBeLessThanOrEqual(mebibytes(container.resources.limits.memory));
  expect(envOf(container).HOST?.value).toBe('0.0.0.0');
  return container;
}

function checkScaling(objects: Located[], name: string, pod: Obj, port: number) {
  const service = find(objects, 'Service', name);
  expect(service).toBeDefined();
  expect(matches(service!.spec.selector, pod.metadata.labels)).toBe(true);
  expect(service!.spec.ports.map((p: Obj) => [p.port, portNumber(pod.spec.containers[0], p.targetPort)])).toContainEqual([port, port]);

  const hpa = find(objects, 'HorizontalPodAutoscaler', name);
  expect(hpa?.apiVersion).toBe('autoscaling/v2');
  expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
  expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(1);
  expect(hpa!.spec.maxReplicas).toBeGreaterThanOrEqual(hpa!.spec.minReplicas);

  const pdb = find(objects, 'PodDisruptionBudget', name);
  expect(pdb?.apiVersion).toBe('policy/v1');
  expect(matches(pdb!.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
}

/** A department's manifests in the base; throws when anything is missing. */
function checkDepartmentInBase(objects: Located[], d: { name: string; port: number }) {
  const deployment = find(objects, 'Deployment', d.name);
  if (!deployment) throw new Error(`infra/k8s/base has no Deployment "${d.name}": run \`node infra/k8s/generate.js\`.`);
  const container = checkServing(deployment, d.port);
  expect(container.command).toEqual(['node', `subgraphs/${d.name}/dist/main.js`]);
  const env = envOf(container);
  expect(env.PORT.value).toBe(String(d.port));
  expect(env.DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'zigong-database', key: d.name });
  expect(env.GATEWAY_SIGNING_SECRET.valueFrom.secretKeyRef).toEqual({ name: 'zigong-signing', key: 'secret' });
  checkScaling(objects, d.name, deployment.spec.template, d.port);

  const job = find(objects, 'Job', `${d.name}-migrate`);
  if (!job) throw new Error(`infra/k8s/base has no migration Job "${d.name}-migrate".`);
  const [migrate] = job.spec.template.spec.containers;
  expect(migrate.command).toEqual(['node', 'infra/local/dist/migrate.js', d.name, '--seed']);
  // Migrations run as the schema owner; the subgraph connects with its own, narrower role.
  expect(envOf(migrate).DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'zigong-migrate', key: d.name });
  expect(job.spec.template.spec.restartPolicy).toBe('Never');
  // The Job's pods must never receive the department's traffic or count toward its budget.
  expect(matches(find(objects, 'Service', d.name)!.spec.selector, job.spec.template.metadata.labels)).toBe(false);
}

describe('generated deployment files', () => {
  it('are what `node infra/k8s/generate.js` writes from supergraph.yaml (run it and commit when this fails)', () => {
    const files = generator.render(readRegistry(), { routerYaml: read('infra/router/router.yaml') });
    for (const [file, content] of files) {
      expect(existsSync(path(file)) ? [file, read(file)] : [file, 'missing']).toEqual([file, content]);
    }
    expect(generator.staleFiles(files)).toEqual([]);
  });

  it('deploy a new department everywhere once the generator has run, and are caught missing before', () => {
    const registry = [...readRegistry(), { name: 'housing', routingUrl: 'http://127.0.0.1:4099/graphql', schemaFile: '' }];
    const files = generator.render(registry, { routerYaml: read('infra/router/router.yaml') });
    const objects = parseAllDocuments(files.get(`${K8S}/base/departments/housing.yaml`)!).map((doc) => ({ ...(doc.toJS() as Obj), file: 'generated' }));
    checkDepartmentInBase(objects, { name: 'housing', port: 4099 });
    expect(files.get(`${K8S}/base/kustomization.yaml`)).toContain('- departments/housing.yaml');
    expect(files.get(`${K8S}/base/kustomization.yaml`)).toContain('- SUBGRAPH_HOUSING_URL=http://housing:4099/graphql');
    expect(parse(files.get('infra/docker-compose.yml')!).services.housing.environment.PORT).toBe('4099');
    expect(parse(files.get('infra/router/router.yaml')!).override_subgraph_url.housing).toBe('${env.SUBGRAPH_HOUSING_URL:-http://127.0.0.1:4099/graphql}');
    expect(parse(files.get(SECRET_EXAMPLE)!.split('---')[0]).stringData.housing).toBeDefined();

    expect(() => checkDepartmentInBase(base(), { name: 'housing', port: 4099 })).toThrow('no Deployment "housing"');
  });

  it('refuse a routing URL without an explicit port', () => {
    expect(() => generator.render([{ name: 'housing', routingUrl: 'http://housing/graphql' }], { routerYaml: read('infra/router/router.yaml') })).toThrow(
      "housing's routing_url (http://housing/graphql) must name its port explicitly",
    );
  });
});

describe('every YAML file', () => {
  const all = [...filesUnder(K8S, /\.ya?ml$/), 'infra/docker-compose.yml', 'infra/router/router.yaml'];

  it.each(all)('%s parses', (file) => {
    expect(documents(file).length).toBeGreaterThan(0);
  });
});

describe('Kubernetes base', () => {
  it.each(departments().map((d) => [d.name, d]))('deploys %s: Deployment with probes and resources, Service, HPA, PDB, migration Job', (_name, d) => {
    checkDepartmentInBase(base(), d);
  });

  it('runs the gateway on the mounted supergraph and routes to every department', () => {
    const objects = base();
    const deployment = find(objects, 'Deployment', 'gateway')!;
    const container = checkServing(deployment, 4000);
    expect(container.command).toEqual(['node', 'gateway/dist/main.js']);
    const env = envOf(container);
    expect(env.GATEWAY_PORT.value).toBe('4000');
    expect(env.GATEWAY_MODE.value).toBe('production');
    expect(env.GATEWAY_SIGNING_SECRET.valueFrom.secretKeyRef).toEqual({ name: 'zigong-signing', key: 'secret' });
    checkScaling(objects, 'gateway', deployment.spec.template, 4000);

    const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.configMap?.name === 'supergraph');
    expect(volume).toBeDefined();
    const mount = container.volumeMounts.find((m: Obj) => m.name === volume.name);
    expect(mount.subPath).toBeUndefined(); // a subPath mount never sees ConfigMap updates
    expect(env.SUPERGRAPH_PATH.value).toBe(`${mount.mountPath}/supergraph.graphql`);

    const routingRef = container.envFrom.find((e: Obj) => e.configMapRef?.name === 'gateway-routing');
    expect(routingRef?.configMapRef.optional).toBeUndefined();
    const kustomization = parse(read(`${K8S}/base/kustomization.yaml`));
    const routing = kustomization.configMapGenerator.find((g: Obj) => g.name === 'gateway-routing');
    const literals = Object.fromEntries(routing.literals.map((l: string) => l.split(/=(.*)/s).slice(0, 2)));
    for (const d of departments()) {
      expect(literals[d.urlVariable]).toBe(`http://${d.name}:${d.port}/graphql`);
      expect(find(objects, 'Service', d.name)!.spec.ports[0].port).toBe(d.port);
    }
    expect(Object.keys(literals).sort()).toEqual(departments().map((d) => d.urlVariable).sort());
  });

  it('lists every manifest of the base in its kustomization, and only existing ones', () => {
    const kustomization = parse(read(`${K8S}/base/kustomization.yaml`));
    const listed = (kustomization.resources as string[]).map((r) => `${K8S}/base/${r}`).sort();
    const present = filesUnder(`${K8S}/base`, /\.ya?ml$/).filter((f) => !f.endsWith('kustomization.yaml')).sort();
    expect(listed).toEqual(present);
  });
});

describe('Kubernetes workloads everywhere', () => {
  const workloads = () => objectsUnder(K8S).filter((o) => o.kind === 'Deployment' || o.kind === 'Job');

  it('run as non-root, without privileges, on a read-only root filesystem, without service links', () => {
    expect(workloads().length).toBeGreaterThan(departments().length * 2);
    for (const workload of workloads()) {
      const pod = workload.spec.template.spec;
      const where = `${workload.file} ${workload.kind}/${workload.metadata.name}`;
      expect([where, pod.securityContext?.runAsNonRoot, pod.enableServiceLinks]).toEqual([where, true, false]);
      for (const container of pod.containers) {
        const sc = container.securityContext ?? {};
        expect([where, sc.allowPrivilegeEscalation, sc.readOnlyRootFilesystem, sc.capabilities?.drop]).toEqual([where, false, true, ['ALL']]);
      }
    }
  });

  it('contain no secret value: credentials come from Secrets by secretKeyRef', () => {
    const manifests = filesUnder(K8S, /\.(ya?ml|env)$/).filter((f) => f !== SECRET_EXAMPLE);
    for (const file of manifests) {
      expect([file, CREDENTIAL_URL.test(read(file))]).toEqual([file, false]);
      if (file.endsWith('.env')) {
        const keys = read(file).split('\n').filter((l) => /^\s*[A-Z]/.test(l)).map((l) => l.split('=')[0].trim());
        expect([file, keys.filter((k) => SECRET_NAME.test(k))]).toEqual([file, []]);
        continue;
      }
      for (const doc of documents(file)) {
        expect([file, doc.kind]).not.toEqual([file, 'Secret']);
        expect([file, doc.secretGenerator]).toEqual([file, undefined]);
        for (const generated of doc.configMapGenerator ?? []) {
          const names = (generated.literals ?? []).map((l: string) => l.split('=')[0]);
          expect([file, names.filter((n: string) => SECRET_NAME.test(n))]).toEqual([file, []]);
        }
      }
    }
    for (const workload of objectsUnder(K8S).filter((o) => o.spec?.template?.spec?.containers)) {
      for (const container of workload.spec.template.spec.containers) {
        for (const variable of container.env ?? []) {
          if (!SECRET_NAME.test(variable.name)) continue;
          expect([workload.metadata.name, variable.name, variable.value, Object.keys(variable.valueFrom ?? {})]).toEqual([
            workload.metadata.name,
            variable.name,
            undefined,
            ['secretKeyRef'],
          ]);
        }
      }
    }
  });

  it('read only Secrets and keys that secret.example.yaml documents, which no kustomization applies', () => {
    const example = documents(SECRET_EXAMPLE);
    const documented = new Set(example.flatMap((s) => Object.keys(s.stringData).map((key) => `${s.metadata.name}/${key}`)));
    const referenced = new Set<string>();
    for (const workload of objectsUnder(K8S).filter((o) => o.spec?.template?.spec?.containers)) {
      for (const container of workload.spec.template.spec.containers) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) referenced.add(`${ref.name}/${ref.key}`);
        }
      }
    }
    expect([...referenced].filter((r) => !documented.has(r))).toEqual([]);
    for (const d of departments()) {
      expect(documented.has(`zigong-database/${d.name}`)).toBe(true);
      expect(documented.has(`zigong-migrate/${d.name}`)).toBe(true);
    }
    for (const file of filesUnder(K8S, /^kustomization\.yaml$/)) {
      const k = parse(read(file));
      const applied = [...(k.resources ?? []), ...(k.components ?? []), ...(k.patches ?? []).map((p: Obj) => p.path).filter(Boolean)];
      expect([file, applied.filter((r: string) => resolve(path(dirname(file)), r) === path(SECRET_EXAMPLE))]).toEqual([file, []]);
    }
  });
});

describe('Kubernetes overlays', () => {
  const overlays = ['local', 'production'];
  const kustomization = (overlay: string) => parse(read(`${K8S}/overlays/${overlay}/kustomization.yaml`));

  it.each(overlays)('%s builds on the base, the supergraph component and a tagged image; its patches hit real objects', (overlay) => {
    const k = kustomization(overlay);
    const dir = `${K8S}/overlays/${overlay}`;
    expect(k.resources).toContain('../../base');
    for (const resource of k.resources) expect(existsSync(path(dir, resource))).toBe(true);
    expect(k.components).toContain('../../components/supergraph');
    expect(k.images).toEqual([expect.objectContaining({ name: 'zigong/platform', newTag: expect.any(String) })]);
    const objects = [...base(), ...objectsUnder(dir)];
    for (const { target } of k.patches ?? []) {
      const hits = objects.filter((o) => o.kind === target.kind && (!target.name || o.metadata.name === target.name));
      expect([overlay, target, hits.length > 0]).toEqual([overlay, target, true]);
    }
    for (const generated of k.configMapGenerator ?? []) {
      for (const envFile of generated.envs ?? []) expect(existsSync(path(dir, envFile))).toBe(true);
    }
  });

  it('make the supergraph ConfigMap from schema/supergraph.graphql, updated in place', () => {
    const dir = `${K8S}/components/supergraph`;
    const component = parse(read(`${dir}/kustomization.yaml`));
    expect(component.kind).toBe('Component');
    const [generated] = component.configMapGenerator;
    expect(generated.name).toBe('supergraph');
    expect(generated.options.disableNameSuffixHash).toBe(true);
    const [key, source] = generated.files[0].split('=');
    expect(key).toBe('supergraph.graphql');
    expect(relative(ROOT, resolve(path(dir), source))).toBe('schema/supergraph.graphql');
  });

  const gatewayModePatch = (overlay: string) => {
    const patch = kustomization(overlay).patches.find((p: Obj) => p.target.kind === 'Deployment' && p.target.name === 'gateway');
    return envOf(parse(patch.patch).spec.template.spec.containers[0]).GATEWAY_MODE?.value;
  };

  it('run the gateway in production mode with more replicas in production, in local mode locally', () => {
    expect(gatewayModePatch('production')).toBe('production');
    expect(gatewayModePatch('local')).toBe('local');
    const minReplicas = (overlay: string) => {
      const patch = kustomization(overlay).patches.find((p: Obj) => p.target.kind === 'HorizontalPodAutoscaler' && !p.target.name);
      return parse(patch.patch).find((op: Obj) => op.path === '/spec/minReplicas').value;
    };
    const baseMin = Math.min(...base().filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => h.spec.minReplicas));
    expect(minReplicas('production')).toBeGreaterThan(baseMin);
    expect(minReplicas('local')).toBeLessThanOrEqual(baseMin);
    expect(kustomization('production').images[0].newTag).not.toMatch(/^(latest|dev)$/);
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
      return true;
    } catch {
      return false;
    }
  })();
  // Only where kubectl is installed (its built-in kustomize needs no cluster): renders what
  // deploy.sh applies and checks the result.
  (kubectl ? it.each(overlays) : it.skip.each(overlays))('%s renders with `kubectl kustomize --load-restrictor LoadRestrictionsNone`', (overlay) => {
    const output = execFileSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path(K8S, 'overlays', overlay)], { encoding: 'utf8', timeout: 60_000 });
    const objects = parseAllDocuments(output).map((doc) => doc.toJS() as Obj);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['zigong']));
    const supergraph = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'supergraph');
    expect(supergraph?.data['supergraph.graphql']).toBe(read('schema/supergraph.graphql'));
    const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!;
    const [container] = gateway.spec.template.spec.containers;
    expect(envOf(container).GATEWAY_MODE.value).toBe(overlay);
    const routingName = container.envFrom[0].configMapRef.name;
    const routing = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === routingName);
    expect(Object.keys(routing?.data ?? {}).sort()).toEqual(departments().map((d) => d.urlVariable).sort());
    for (const o of objects.filter((x) => x.spec?.template?.spec?.containers)) {
      for (const c of o.spec.template.spec.containers) {
        if (c.image.includes('zigong/platform')) expect(c.image).toBe(`${kustomization(overlay).images[0].newName ?? 'zigong/platform'}:${kustomization(overlay).images[0].newTag}`);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = () => parse(read('infra/docker-compose.yml'));
  const dependsOn = (service: Obj) => service.depends_on as Record<string, { condition: string }>;

  it('runs Postgres 16, Redis 7 and a one-shot migration of every department', () => {
    const { services } = compose();
    expect(services.postgres.image).toMatch(/^postgres:16\b/);
    expect(services.redis.image).toMatch(/^redis:7\b/);
    expect(services.migrate.command).toEqual(['node', 'infra/local/dist/seed.js']);
    expect(dependsOn(services.migrate).postgres.condition).toBe('service_healthy');
    expect(services.migrate.restart).toBe('no');
  });

  it.each(departments().map((d) => [d.name, d]))('runs %s once migrations succeeded, with a healthcheck', (_name, d) => {
    const service = compose().services[d.name];
    expect(service).toBeDefined();
    expect(service.command).toEqual(['node', `subgraphs/${d.name}/dist/main.js`]);
    expect(service.environment.PORT).toBe(String(d.port));
    expect(service.environment.HOST).toBe('0.0.0.0');
    expect(dependsOn(service).migrate.condition).toBe('service_completed_successfully');
    expect(service.healthcheck.test).toEqual(['CMD', 'node', 'infra/docker/healthcheck.js']);
    expect(service.ports).toBeUndefined(); // only the gateway is published
  });

  it('publishes the gateway on 4000 once every department is healthy, routed to each by service name', () => {
    const { gateway } = compose().services;
    expect(gateway.command).toEqual(['node', 'gateway/dist/main.js']);
    expect(gateway.ports).toEqual(['${GATEWAY_PUBLISHED_PORT:-4000}:4000']);
    expect(gateway.environment.GATEWAY_PORT).toBe('4000');
    expect(gateway.healthcheck.test).toEqual(['CMD', 'node', 'infra/docker/healthcheck.js']);
    expect(dependsOn(gateway).migrate.condition).toBe('service_completed_successfully');
    for (const d of departments()) {
      expect(dependsOn(gateway)[d.name].condition).toBe('service_healthy');
      expect(gateway.environment[d.urlVariable]).toBe(`http://${d.name}:${d.port}/graphql`);
    }
  });

  it('checks the health of every long-running service and builds from the repository root', () => {
    for (const [name, service] of Object.entries<Obj>(compose().services)) {
      if (name === 'migrate') continue;
      expect([name, Array.isArray(service.healthcheck?.test)]).toEqual([name, true]);
    }
    for (const service of Object.values<Obj>(compose().services).filter((s) => s.build)) {
      expect(resolve(path('infra'), service.build.context)).toBe(ROOT);
      expect(existsSync(path(service.build.dockerfile))).toBe(true);
    }
  });

  it('takes every credential from the environment, with public defaults named dev-only', () => {
    for (const [name, service] of Object.entries<Obj>(compose().services)) {
      for (const [variable, value] of Object.entries<string>(service.environment ?? {})) {
        if (!SECRET_NAME.test(variable) || variable === 'REDIS_URL') continue;
        const defaults = [...String(value).matchAll(/\$\{[A-Z_]+(?::?-([^}]*))?\}/g)].map((m) => m[1]).filter(Boolean);
        expect([name, variable, String(value).includes('${')]).toEqual([name, variable, true]);
        for (const fallback of defaults) {
          if (/^(zigong)$/.test(fallback)) continue;
          expect([name, variable, fallback]).toEqual([name, variable, expect.stringMatching(/^dev-only-/)]);
        }
        expect(String(value).replace(/\$\{[^}]*\}/g, '')).not.toMatch(CREDENTIAL_URL);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('infra/docker/Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const finalStage = stages[stages.length - 1];
  const instructions = (stage: string) =>
    stage.replace(/\\\n/g, ' ').split('\n').filter((l) => /^[A-Z]+\s/.test(l)).map((l) => l.trim());

  it('builds with npm ci and the monorepo build, then keeps production dependencies only', () => {
    const build = stages.map(instructions).flat();
    expect(build).toContainEqual(expect.stringMatching(/^RUN .*npm ci\b/));
    expect(build).toContainEqual(expect.stringMatching(/^RUN npm run build$/));
    expect(build).toContainEqual(expect.stringMatching(/^RUN npm prune --omit=dev\b/));
    expect(stages.length).toBeGreaterThanOrEqual(3);
  });

  it('runs as a non-root user in its final stage, with a HEALTHCHECK on /health', () => {
    const final = instructions(finalStage);
    const user = final.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1].split(':')[0]).not.toMatch(/^(root|0)$/);
    const healthcheck = final.find((l) => l.startsWith('HEALTHCHECK '));
    expect(healthcheck).toContain('infra/docker/healthcheck.js');
    expect(read('infra/docker/healthcheck.js')).toContain('/health');
    expect(final).toContainEqual(expect.stringMatching(/^EXPOSE \d+/));
    expect(final).toContainEqual(expect.stringMatching(/^CMD \["node", "gateway\/dist\/main\.js"\]$/));
  });

  it('bakes in no secret and ignores local secrets, dependencies and build output', () => {
    for (const line of stages.map(instructions).flat().filter((l) => /^(ENV|ARG) /.test(l))) {
      expect(line).not.toMatch(SECRET_NAME);
    }
    const ignored = read('infra/docker/Dockerfile.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.env', '.env.*']) expect(ignored).toContain(entry);
  });

  it('starts programs that the build produces', () => {
    const commands = [
      ...Object.values<Obj>(parse(read('infra/docker-compose.yml')).services).map((s) => s.command),
      ...objectsUnder(K8S).flatMap((o) => o.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.command),
    ].filter((c) => c?.[0] === 'node');
    expect(commands.length).toBeGreaterThan(departments().length * 2);
    for (const [, script] of commands) {
      const source = script.replace(/\/dist\/(.+)\.js$/, '/src/$1.ts');
      expect([script, existsSync(path(source))]).toEqual([script, true]);
    }
  });
});

describe('Apollo Router configuration', () => {
  const router = () => parse(read('infra/router/router.yaml'));

  it('serves the same GraphQL path with introspection off, a health check and Prometheus metrics', () => {
    const config = router();
    expect(config.supergraph.path).toBe('/graphql');
    expect(config.supergraph.listen).toContain(':4000');
    expect(config.supergraph.introspection).toBe(false);
    expect(config.health_check.enabled).toBe(true);
    expect(config.telemetry.exporters.metrics.prometheus.enabled).toBe(true);
    expect(config.include_subgraph_errors.all).toBe(false);
  });

  it("enforces the gateway's default limits and subgraph timeout", () => {
    const gateway = loadGatewayConfig({});
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
  });

  it.each(departments().map((d) => [d.name, d]))('routes to %s through SUBGRAPH_<NAME>_URL, with its own timeout', (_name, d) => {
    const config = router();
    expect(config.override_subgraph_url[d.name]).toBe(`\${env.${d.urlVariable}:-http://127.0.0.1:${d.port}/graphql}`);
    expect(config.traffic_shaping.subgraphs[d.name].timeout).toMatch(/^\d+s$/);
  });

  it('authenticates with JWKS, propagates authorization and x-request-id, and safelists a manifest', () => {
    const config = router();
    expect(config.authentication.router.jwt.jwks[0].url).toBe('${env.JWKS_URL}');
    const propagated = config.headers.all.request.map((rule: Obj) => rule.propagate?.named);
    expect(propagated).toEqual(expect.arrayContaining(['authorization', 'x-request-id']));
    expect(config.persisted_queries.safelist.enabled).toBe(true);
    expect(config.apq.enabled).toBe(false); // the Router refuses APQ together with a safelist
    const manifest = /^\$\{env\.[A-Z_]+:-(.+)\}$/.exec(config.persisted_queries.local_manifests[0])![1];
    expect(JSON.parse(read(manifest))).toEqual(expect.objectContaining({ format: 'apollo-persisted-query-manifest', version: 1 }));
  });

  it('is documented with the command that runs it', () => {
    expect(read('infra/router/README.md')).toContain('router --config infra/router/router.yaml --supergraph schema/supergraph.graphql');
  });
});

describe('the environment the deployment files give each process', () => {
  /** Compose's `${VAR:-default}` as compose resolves it, from the given shell environment. */
  const interpolate = (environment: Obj, shell: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [
        name,
        String(value).replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, variable: string, fallback?: string) => shell[variable] ?? fallback ?? ''),
      ]),
    );

  it('is accepted by every subgraph and the gateway in docker-compose.yml, with the dev-only defaults', () => {
    const { services } = parse(read('infra/docker-compose.yml'));
    for (const d of departments()) {
      const config = loadSubgraphConfig(interpolate(services[d.name].environment));
      expect([config.port, config.host, config.signingSecret]).toEqual([d.port, '0.0.0.0', expect.stringMatching(/^dev-only-/)]);
      expect(new URL(config.databaseUrl).host).toBe('postgres:5432');
    }
    const gateway = loadGatewayConfig(interpolate(services.gateway.environment));
    expect([gateway.mode, gateway.port, gateway.host]).toEqual(['local', 4000, '0.0.0.0']);
    expect(gateway.subgraphUrls).toEqual(Object.fromEntries(departments().map((d) => [d.name, `http://${d.name}:${d.port}/graphql`])));
    expect(gateway.signingSecret).toBe(loadSubgraphConfig(interpolate(services[departments()[0].name].environment)).signingSecret);
  });

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

  it('keeps production strict in compose: GATEWAY_MODE=production on the dev-only defaults is refused, naming each variable', () => {
    const { services } = parse(read('infra/docker-compose.yml'));
    expect(problemsOf(() => loadGatewayConfig(interpolate(services.gateway.environment, { GATEWAY_MODE: 'production' })))).toEqual([
      'GATEWAY_MODE=production needs JWKS_URL or JWT_SECRET.',
      expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml, infra\/docker-compose\.yml\)/),
    ]);
    for (const d of departments()) {
      expect(problemsOf(() => loadSubgraphConfig({ ...interpolate(services[d.name].environment), SUBGRAPH_MODE: 'production' }))).toEqual([
        expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value/),
      ]);
    }
  });

  /** A container's environment in the production overlay, with the Secrets of secret.example.yaml. */
  function kubernetesEnv(container: Obj): Record<string, string> {
    const secrets = Object.fromEntries(documents(SECRET_EXAMPLE).map((s) => [s.metadata.name, s.stringData]));
    const kustomization = parse(read(`${K8S}/base/kustomization.yaml`));
    const configMaps: Record<string, Record<string, string>> = {
      'gateway-routing': Object.fromEntries(kustomization.configMapGenerator[0].literals.map((l: string) => l.split(/=(.*)/s).slice(0, 2))),
      'gateway-settings': Object.fromEntries(
        read(`${K8S}/overlays/production/gateway.env`)
          .split('\n')
          .filter((l) => /^[A-Z]/.test(l))
          .map((l) => l.split(/=(.*)/s).slice(0, 2)),
      ),
    };
    const env: Record<string, string> = {};
    for (const source of container.envFrom ?? []) Object.assign(env, configMaps[source.configMapRef.name]);
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      env[variable.name] = ref ? secrets[ref.name][ref.key] : variable.value;
    }
    return env;
  }

  it('is refused by the production gateway (and subgraphs in production mode) with the example Secrets, naming each public secret', () => {
    const objects = base();
    const [container] = find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers;
    expect(problemsOf(() => loadGatewayConfig(kubernetesEnv(container)))).toEqual([
      expect.stringMatching(/^JWT_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml\)/),
      expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value \(infra\/k8s\/secret\.example\.yaml/),
    ]);
    for (const d of departments()) {
      const [subgraph] = find(objects, 'Deployment', d.name)!.spec.template.spec.containers;
      expect(problemsOf(() => loadSubgraphConfig({ ...kubernetesEnv(subgraph), SUBGRAPH_MODE: 'production' }))).toEqual([
        expect.stringMatching(/^GATEWAY_SIGNING_SECRET is a published example value/),
      ]);
    }
  });

  it('is accepted by every subgraph and the production gateway in Kubernetes once the Secrets hold real values', () => {
    const objects = base();
    const real = { GATEWAY_SIGNING_SECRET: 'a-real-signing-secret-from-the-secret-manager', JWT_SECRET: 'a-real-jwt-secret-from-the-secret-manager!!' };
    for (const d of departments()) {
      const [container] = find(objects, 'Deployment', d.name)!.spec.template.spec.containers;
      expect(loadSubgraphConfig(kubernetesEnv(container)).port).toBe(d.port);
      expect(loadSubgraphConfig({ ...kubernetesEnv(container), GATEWAY_SIGNING_SECRET: real.GATEWAY_SIGNING_SECRET, SUBGRAPH_MODE: 'production' }).port).toBe(d.port);
    }
    const [container] = find(objects, 'Deployment', 'gateway')!.spec.template.spec.containers;
    const gateway = loadGatewayConfig({ ...kubernetesEnv(container), ...real });
    expect([gateway.mode, gateway.port, gateway.introspection, gateway.auth.allowAnonymousReads]).toEqual(['production', 4000, false, false]);
    expect(gateway.supergraphPath).toBe('/etc/zigong/supergraph/supergraph.graphql');
    expect(gateway.auth.jwksUrl).toMatch(/^https:\/\//);
    expect(Object.keys(gateway.subgraphUrls).sort()).toEqual(departments().map((d) => d.name).sort());
  });
});

describe('the published secrets', () => {
  /** The secret a value carries: a URL's password, or the value itself; none for a URL without one. */
  const secretIn = (value: string): string | undefined => {
    if (!/^[a-z+]+:\/\//i.test(value)) return value || undefined;
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  };
  const known = PUBLISHED_SECRETS.map((secret) => secret.value);

  it('list every secret the example Secrets publish (PUBLISHED_SECRETS, which production refuses)', () => {
    const values = documents(SECRET_EXAMPLE).flatMap((secret) => Object.values<string>(secret.stringData ?? {}));
    const secrets = values.map(secretIn).filter((v): v is string => v !== undefined);
    expect(secrets.length).toBeGreaterThan(4);
    for (const secret of new Set(secrets)) expect([secret, known.includes(secret)]).toEqual([secret, true]);
  });

  it('list every default a credential has in docker-compose.yml', () => {
    let checked = 0;
    for (const [name, service] of Object.entries<Obj>(parse(read('infra/docker-compose.yml')).services)) {
      for (const [variable, value] of Object.entries<string>(service.environment ?? {})) {
        if (!SECRET_NAME.test(variable)) continue;
        const withDefaults = String(value).replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_m, fallback?: string) => fallback ?? '');
        const secret = secretIn(withDefaults);
        if (secret === undefined) continue;
        checked++;
        expect([name, variable, secret, known.includes(secret)]).toEqual([name, variable, secret, true]);
      }
    }
    expect(checked).toBeGreaterThan(4);
  });

  it('say truly where each is published', () => {
    for (const { value, where } of PUBLISHED_SECRETS) {
      for (const file of where.split(', ').filter((w) => w.startsWith('infra/'))) {
        expect([value, file, read(file).includes(value)]).toEqual([value, file, true]);
      }
    }
  });
});
