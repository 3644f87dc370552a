/**
 * The processes that launched this one, and a watch that tells when one of them is gone.
 *
 * `npm start` runs `sh -c "tsx infra/local/main.ts"`, and tsx runs main.ts in a child Node. npm
 * passes a SIGTERM on to that shell, but the shell dies of it without passing it on, so tsx and
 * this process would run on with nobody to stop them. The stack therefore watches its launchers
 * (its parent, and when an npm script launched it, every process up to npm) and stops when one is
 * gone, whatever ended it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface ProcessInfo {
  ppid: number;
  /** The command line (on Linux argv exactly; elsewhere as `ps` prints it, split at spaces). */
  argv: string[];
  zombie: boolean;
}

/** Enough for npm → sh → tsx → node under a test runner or a second npm, without walking to init. */
const MAX_DEPTH = 8;

/**
 * This process's launchers, nearest first: its parent and, when an npm script started it
 * (`npm_lifecycle_script` is set), every ancestor up to the package manager: the parent of the
 * shell whose `-c` argument is that script. Without one (no npm, or a system `ps` cannot read),
 * just the parent.
 */
export function launchers(): number[] {
  const parent = process.ppid;
  const script = process.env.npm_lifecycle_script;
  if (!script) return [parent];
  const chain: number[] = [];
  for (let pid = parent; pid > 1 && chain.length < MAX_DEPTH; ) {
    const info = processInfo(pid);
    if (!info) break;
    chain.push(pid);
    if (runsScript(info.argv, script)) {
      if (info.ppid > 1) chain.push(info.ppid);
      return chain;
    }
    pid = info.ppid;
  }
  return [parent];
}

/**
 * Calls `onGone` once, when the parent has changed (it exited: this process was handed to another)
 * or any other launcher has exited. Polls; the timer does not keep the process alive.
 */
export function watchLaunchers(pids: readonly number[], onGone: () => void, intervalMs = 250): () => void {
  const [parent, ...others] = pids;
  const timer = setInterval(() => {
    if (process.ppid === parent && others.every(alive)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function runsScript(argv: string[], script: string): boolean {
  const c = argv.indexOf('-c');
  return c !== -1 && argv.slice(c + 1).join(' ') === script;
}

function alive(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = linuxStat(pid);
    return stat !== undefined && !stat.zombie;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    if (process.platform === 'linux') {
      const stat = linuxStat(pid);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return stat && { ...stat, argv };
    }
    if (process.platform === 'win32') return undefined;
    const line = execFileSync('ps', ['-o', 'ppid=,state=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const [ppid, state, ...argv] = line.split(/\s+/);
    return { ppid: Number(ppid), argv, zombie: state?.startsWith('Z') ?? false };
  } catch {
    return undefined;
  }
}

function linuxStat(pid: number): { ppid: number; zombie: boolean } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after it.
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(ppid), zombie: state === 'Z' };
}
