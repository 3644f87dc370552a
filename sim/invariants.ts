import type { PolicyResult } from './metrics.js';

/**
 * What must hold in every run, whatever the policy: each broken rule is evidence of a bug (in
 * Tide, or in the simulator's own bookkeeping), and `npm run simulate` exits non-zero on any.
 * The KPIs themselves (SLA, gave up, …) are measurements, never failures.
 */
export function violations(r: PolicyResult): string[] {
  const c = r.metrics.capacity;
  const d = r.diagnostics;
  const out: string[] = [];
  const rule = (count: number, what: string) => {
    // A count the run failed to keep is no evidence that nothing broke.
    if (typeof count !== 'number' || !Number.isFinite(count)) out.push(`${what}: not counted (${String(count)})`);
    else if (count > 0) out.push(`${what}: ${count}`);
  };
  rule(c.overMax, 'capacity overrun: active above maxLoad');
  rule(c.overPreferredUnexplained, 'capacity overrun: active above preferred, not explained by reactivations');
  rule(c.counterDrift, "counter drift: the agent's active/holds disagree with its conversations");
  rule(d.missedPushes, 'missed push: an idle agent found work only by re-reading its list');
  rule(d.frameMismatches, "stale screen: the agent's latest work-list frame differs from the tables after the follow-ups ran");
  rule(d.floor.idleWithCapacity, 'lost wake-up: an idle agent with free capacity while work was queued');
  rule(d.sweepAssigned, 'lost wake-up: the sweep found work to assign');
  rule(d.repairedAgents, "the sweep repaired an agent's load");
  rule(d.droppedAgents, 'an agent on shift was set offline by a presence check');
  rule(d.presenceChecks, 'the sweep started presence checks for agents on shift');
  rule(d.domainErrors, 'domain errors (exceptions other than TideError)');
  rule(d.followUps.unmarkedRecords, 'simulator bookkeeping: stream records on a table no write was seen for');
  return out;
}

/**
 * What `npm run simulate` prints on stderr, and then exits 1, when any policy broke a rule
 * (`broken`: each policy's violations, prefixed with its label); undefined when none did.
 */
export function failureReport(broken: readonly string[], resultsFile: string): string | undefined {
  if (broken.length === 0) return undefined;
  return [
    `FAILED: ${broken.length} invariant${broken.length === 1 ? '' : 's'} broken (evidence: diagnostics.evidence of each policy in ${resultsFile}):`,
    ...broken.map((b) => `  ${b}`),
  ].join('\n');
}
