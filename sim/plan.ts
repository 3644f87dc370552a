import type { SimJob } from './jobs.js';
import type { WorkloadOptions } from './workload.js';

/**
 * The runs a simulation makes: every policy on every day, as jobs for the worker pool
 * (sim/pool.ts). Days outer, policies inner, so the runs of one day (which the summary pairs)
 * finish close together. Pure.
 */

/** What every run of a simulation shares, whatever its day and policy. */
export interface RunSettings {
  sweepSeconds: number;
  idlePollSeconds: number;
  sampleSeconds: number;
  routingSeed?: number;
}

/**
 * A job per day and policy. `tag` names the batch in table names (unique within a shared
 * DynamoDB Local: two days with the same seed in one batch would collide); `first` is the first
 * job's index, to append a batch to others run at the same time.
 */
export function planJobs(
  days: readonly (Partial<WorkloadOptions> & { seed: number })[],
  policyKeys: readonly string[],
  settings: RunSettings,
  tag: string,
  first = 0,
): SimJob[] {
  const jobs: SimJob[] = [];
  for (const day of days) {
    for (const policyKey of policyKeys) {
      jobs.push({
        index: first + jobs.length,
        policyKey,
        workload: day,
        sweepSeconds: settings.sweepSeconds,
        idlePollSeconds: settings.idlePollSeconds,
        sampleSeconds: settings.sampleSeconds,
        routingSeed: settings.routingSeed,
        tablePrefix: `${tag}-${day.seed}-${policyKey}-`,
      });
    }
  }
  return jobs;
}
