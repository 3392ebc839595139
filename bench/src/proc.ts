import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident memory in MB, from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** A process and every process it started (Postgres: the postmaster and its backends). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

export interface Watched {
  name: string;
  pids: () => number[];
}

export interface Usage {
  cpu: Record<string, number>;
  peakRssMb: Record<string, number>;
}

/** Samples CPU and memory of named process groups over a period (RSS every 100 ms). */
export function watch(groups: Watched[]): { stop(): Usage } {
  const startCpu = new Map<number, number>();
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const group of groups) {
      const pids = group.pids();
      for (const pid of pids) if (!startCpu.has(pid)) startCpu.set(pid, cpuSeconds(pid));
      const rss = Math.max(0, ...pids.map(rssMb));
      peak[group.name] = Math.max(peak[group.name] ?? 0, rss);
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpu: Record<string, number> = {};
      for (const group of groups) {
        cpu[group.name] = group.pids().reduce((sum, pid) => sum + cpuSeconds(pid) - (startCpu.get(pid) ?? 0), 0);
      }
      return { cpu, peakRssMb: peak };
    },
  };
}
