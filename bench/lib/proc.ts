/**
 * CPU and memory of other processes from /proc (Linux): the local stack's Node process and the
 * DynamoDB Local JVM it started, measured apart from the load generator.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // Linux's usual value
}

/** utime + stime of a process, in seconds; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Resident set size in MB. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Every descendant of a process (children of all its threads, recursively). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        if (!out.includes(c)) {
          out.push(c);
          visit(c);
        }
      }
    }
  };
  visit(pid);
  return out;
}

export interface ProcessUsage {
  /** Average CPU over the window, percent of one core (200 % = both cores of this machine). */
  cpuPercent?: number;
  rssPeakMb?: number;
  rssAvgMb?: number;
}

/** Samples RSS every 250 ms and CPU time at both ends of a window, for a set of named processes. */
export class UsageWindow {
  private readonly start = performance.now();
  private readonly cpuStart: Map<string, number | undefined>;
  private readonly rss = new Map<string, number[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly selfCpuStart = process.cpuUsage();

  constructor(private readonly pids: Record<string, number | undefined>) {
    this.cpuStart = new Map(Object.entries(pids).map(([name, pid]) => [name, pid ? cpuSeconds(pid) : undefined]));
    const sample = () => {
      for (const [name, pid] of Object.entries(pids)) {
        const r = pid ? rssMb(pid) : undefined;
        if (r !== undefined) this.rss.set(name, [...(this.rss.get(name) ?? []), r]);
      }
    };
    sample();
    this.timer = setInterval(sample, 250);
  }

  /** Usage per process name, plus `loadgen` (this process). */
  stop(): Record<string, ProcessUsage> {
    clearInterval(this.timer);
    const seconds = (performance.now() - this.start) / 1000;
    const out: Record<string, ProcessUsage> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.cpuStart.get(name);
      const after = pid ? cpuSeconds(pid) : undefined;
      const samples = this.rss.get(name) ?? [];
      out[name] = {
        cpuPercent: before !== undefined && after !== undefined && seconds > 0 ? ((after - before) / seconds) * 100 : undefined,
        rssPeakMb: samples.length ? Math.max(...samples) : undefined,
        rssAvgMb: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : undefined,
      };
    }
    const self = process.cpuUsage(this.selfCpuStart);
    out.loadgen = {
      cpuPercent: seconds > 0 ? ((self.user + self.system) / 1e6 / seconds) * 100 : undefined,
      rssPeakMb: process.memoryUsage().rss / 1024 / 1024,
    };
    return out;
  }
}

/** CPU seconds of each process of a tree, by pid: take one before and one after a window. */
export function treeCpuByPid(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of [pid, ...descendants(pid)]) {
    const s = cpuSeconds(p);
    if (s !== undefined) out.set(p, s);
  }
  return out;
}

/** CPU seconds spent between two `treeCpuByPid` readings (a process that started in between counts from 0). */
export function treeCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [p, s] of after) seconds += s - (before.get(p) ?? 0);
  return seconds;
}

/** CPU seconds the whole machine has been busy (all cores; /proc/stat: everything but idle and iowait). */
export function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
