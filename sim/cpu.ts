import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time spent by a process and everything it started (Linux /proc), to report what a run costs
 * whatever else the machine is doing: on a shared machine the wall time says more about the
 * neighbours than about the simulator. Best effort: undefined where /proc cannot be read.
 */

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of `pid` and its live descendants. */
export function processTreeCpuSeconds(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces: the fields after it start past the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const child of children ? children.split(' ') : []) ticks += (processTreeCpuSeconds(Number(child)) ?? 0) * clockTicks();
    return ticks / clockTicks();
  } catch {
    return undefined;
  }
}
