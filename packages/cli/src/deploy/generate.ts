import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../paths';
import { readRegistry } from '../registry';
import { connectionBudget, OVERLAYS } from './model';
import { readCurrent, render, staleFiles } from './render';

/**
 * `npm run deploy:generate` (`node packages/cli/dist/deploy/generate.js`): writes every deployment
 * file that depends on the departments (supergraph.yaml) from typed objects:
 *   infra/k8s/base/gateway.yaml, base/registry.yaml, base/departments/<name>.yaml, base/kustomization.yaml
 *   infra/k8s/components/supergraph/ (the optional ConfigMap supergraph: kustomization, the copy)
 *   infra/k8s/overlays/<local|production>/kustomization.yaml (and local's postgres.yaml, redis.yaml)
 *   infra/k8s/secret.example.yaml, infra/docker-compose.yml
 *   infra/router/router.yaml (only its per-department maps)
 * It refuses an overlay whose connection budget does not fit (model.ts). tests/deploy fail until
 * the committed files equal what this writes. Hand-written: infra/k8s/deploy.sh,
 * overlays/production/gateway.env, the rest of router.yaml, infra/docker/.
 */
export function writeDeploymentFiles(log: (line: string) => void = console.log): void {
  const files = render(readRegistry(), readCurrent());
  for (const [path, content] of files) {
    const target = join(ROOT, path);
    mkdirSync(dirname(target), { recursive: true });
    const changed = !existsSync(target) || readFileSync(target, 'utf8') !== content;
    if (changed) writeFileSync(target, content);
    log(`${changed ? 'wrote    ' : 'unchanged'} ${path}`);
  }
  for (const path of staleFiles(files)) {
    rmSync(join(ROOT, path), { recursive: true });
    log(`removed   ${path}`);
  }
  const departments = readRegistry().length;
  for (const overlay of OVERLAYS) log(`budget    ${overlay.name}: DB_POOL_SIZE=${connectionBudget(departments, overlay).poolSize}; ${connectionBudget(departments, overlay).explanation}`);
}

if (require.main === module) {
  try {
    writeDeploymentFiles();
  } catch (error) {
    console.error(`GENERATE_FAILED: ${(error as Error).message}`);
    process.exit(1);
  }
}
