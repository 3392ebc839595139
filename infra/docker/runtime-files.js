'use strict';
/**
 * What the image's final stage keeps of the built repository, one path a line, from the root:
 *   node infra/docker/runtime-files.js [root]
 * The Dockerfile copies exactly these (after `npm prune --omit=dev`); tests/deploy checks the list.
 * Kept: the root package.json, supergraph.yaml (the registry migrate.js and the gateway read),
 * schema/ (the supergraph and the registered operations), node_modules, the healthcheck, and of
 * every workspace that serves (not bench/, not tests/) its package.json and dist/. Left out:
 * sources, tests, the bench, CI, documentation, deployment files, the scaffold's templates.
 */
const { existsSync, readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

/** Workspaces that only develop the platform: never in the image. */
const DEVELOPMENT_WORKSPACES = ['bench', 'tests'];

function runtimeFiles(root) {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const folders = workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  const serving = folders
    .filter((folder) => !DEVELOPMENT_WORKSPACES.includes(folder))
    .filter((folder) => existsSync(join(root, folder, 'package.json')) && existsSync(join(root, folder, 'dist')))
    .sort();
  return [
    'package.json',
    'supergraph.yaml',
    'schema',
    'node_modules',
    'infra/docker/healthcheck.js',
    ...serving.flatMap((folder) => [`${folder}/package.json`, `${folder}/dist`]),
  ];
}

module.exports = { runtimeFiles, DEVELOPMENT_WORKSPACES };

if (require.main === module) {
  process.stdout.write(`${runtimeFiles(process.argv[2] || process.cwd()).join('\n')}\n`);
}
