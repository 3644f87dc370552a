import type { CustomerType } from './workload.js';

/**
 * How the simulated people behave beyond the day's size: every part of the model that makes the
 * simulator more (or less) kind than reality, with its default. One object, carried by the
 * workload (sim/workload.ts draws from it) to the engine (sim/engine.ts applies it), and recorded
 * in every result. sim/README.md ("The model") gives the reasons and sources; `npm run simulate --
 * --help` lists the flags that set each field.
 */
export interface ModelOptions {
  /**
   * Multitasking slows an agent down: composing a reply takes `compose × (1 + slowdown·(active − 1))`
   * where `active` is the agent's active conversations when they start it. 0.09 is the default;
   * 0 (none) and 0.2 (heavy) are the other settings the sensitivity runs use.
   */
  slowdown: number;
  /** Seconds added to a reply when the agent last worked on a different conversation (re-reading it). */
  switchSeconds: number;
  patience: {
    /** Mean patience (minutes, exponential) waiting for the first agent message, by customer type. */
    firstMeanMinutes: Record<CustomerType, number>;
    /** Mean patience for every later answer = the first's mean × this. */
    laterFactor: number;
    /**
     * Share of the customers who give up who leave without a word; the others say so ("never
     * mind, I'll call instead"), and an agent closes their conversation instead of answering.
     */
    silentShare: number;
  };
  /** Co-production: an engaged customer answered late answers the next message slower. */
  coProduction: {
    /** A reply later than this (seconds after the customer's message) is late. */
    lateAfterSeconds: number;
    /** The customer's next response time is multiplied by this after a late reply (1: off). */
    factor: number;
  };
  /**
   * Response times (agent reply → customer's next message) are lognormal: each customer has their
   * own median, drawn lognormally around the type's (`betweenSigma`), and each answer varies around
   * it (`withinSigma`). Gone customers answer (until they vanish) like engaged ones.
   */
  responseTimes: {
    engagedMedianSeconds: number;
    slowMedianSeconds: number;
    betweenSigma: number;
    withinSigma: number;
  };
  /** EventBridge Scheduler fires a one-off schedule up to this late (uniform, seconds; 0: on time). */
  schedulerLateSeconds: number;
  /** Each agent takes a break (status `away`, then `online`) every `everyMinutes` of shift, for `minutes`. */
  breaks: { everyMinutes: number; minutes: number };
  /** A share of customers arrive with an inbound business priority (`priority` on their messages, e.g. a CRM's VIP flag). */
  priority: { share: number; value: number };
}

export const defaultModel: ModelOptions = {
  slowdown: 0.09,
  switchSeconds: 10,
  patience: { firstMeanMinutes: { engaged: 10, slow: 60, gone: 15 }, laterFactor: 2, silentShare: 0.7 },
  coProduction: { lateAfterSeconds: 120, factor: 2 },
  responseTimes: { engagedMedianSeconds: 20, slowMedianSeconds: 15 * 60, betweenSigma: 0.6, withinSigma: 0.5 },
  schedulerLateSeconds: 60,
  breaks: { everyMinutes: 120, minutes: 15 },
  priority: { share: 0.1, value: 1 },
};

/** The slowdown settings the issue asks to compare (none, the default, heavy). */
export const slowdownSettings = [0, 0.09, 0.2] as const;

/** How loaded the day is: the number of customers scaled against the same agents. */
export type DayKind = 'light' | 'default' | 'overloaded';
export const dayLoad: Record<DayKind, number> = { light: 0.7, default: 1, overloaded: 1.3 };

/** A model with some fields replaced (nested objects merged one level deep). */
export function modelWith(overrides: ModelOverrides): ModelOptions {
  const d = defaultModel;
  return {
    ...d,
    ...overrides,
    patience: { ...d.patience, ...overrides.patience, firstMeanMinutes: { ...d.patience.firstMeanMinutes, ...overrides.patience?.firstMeanMinutes } },
    coProduction: { ...d.coProduction, ...overrides.coProduction },
    responseTimes: { ...d.responseTimes, ...overrides.responseTimes },
    breaks: { ...d.breaks, ...overrides.breaks },
    priority: { ...d.priority, ...overrides.priority },
  };
}

export type ModelOverrides = Partial<Omit<ModelOptions, 'patience' | 'coProduction' | 'responseTimes' | 'breaks' | 'priority'>> & {
  patience?: Partial<Omit<ModelOptions['patience'], 'firstMeanMinutes'>> & { firstMeanMinutes?: Partial<Record<CustomerType, number>> };
  coProduction?: Partial<ModelOptions['coProduction']>;
  responseTimes?: Partial<ModelOptions['responseTimes']>;
  breaks?: Partial<ModelOptions['breaks']>;
  priority?: Partial<ModelOptions['priority']>;
};

/** The compose time of a reply for an agent with `active` active conversations (at least one: the one answered). */
export function composeWithSlowdown(baseMs: number, active: number, slowdown: number): number {
  return Math.round(baseMs * (1 + slowdown * Math.max(0, active - 1)));
}
