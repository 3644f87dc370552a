/**
 * Imported first by sim/main.ts, before any domain module: the domain logs structured JSON
 * (Powertools) to stdout/stderr — an "SLA breached" line per breach — which would drown the
 * report. Those lines are taken off the terminal and tallied instead; the tallies are evidence
 * in the report (how many breaches Tide itself logged, any warning about failed routing).
 * Node's warning about the AWS SDK's future Node version requirement is dropped too.
 */

export interface DomainLogTally {
  byMessage: Map<string, { level: string; count: number; example: Record<string, unknown> }>;
}

export const domainLog: DomainLogTally = { byMessage: new Map() };

export function resetDomainLog(): void {
  domainLog.byMessage.clear();
}

function divert(chunk: unknown): boolean {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
  if (!text.startsWith('{') || !text.includes('"service":"tide"')) return false;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const message = String(entry.message ?? '?');
      const seen = domainLog.byMessage.get(message);
      if (seen) seen.count += 1;
      else domainLog.byMessage.set(message, { level: String(entry.level ?? '?'), count: 1, example: entry });
    } catch {
      return false;
    }
  }
  return true;
}

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (stream as unknown as { write: (...args: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) =>
    divert(chunk) ? true : write(chunk, ...rest);
}

process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'NodeVersionSupportWarning' || warning.message.includes('NodeVersionSupportWarning') || warning.message.includes('will require node')) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
