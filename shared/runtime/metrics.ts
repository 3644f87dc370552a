/**
 * Tide's metrics, declared once: the domain records them (`deps.metrics`), the Lambda runtime
 * publishes them in CloudWatch's embedded metric format (./emf-metrics.ts), and the stack's alarms
 * and dashboard read them by these names (infra/constructs/observability.ts).
 *
 * Dimension values are queue names, channel names, outcomes and provider error codes: a small,
 * bounded set. Never an id or anything a customer wrote (each value is a metric of its own, and
 * CloudWatch keeps them for 15 months).
 */

/** CloudWatch's namespace of every Tide metric. */
export const metricsNamespace = 'Tide';

/**
 * The dimension every Tide metric also carries (Powertools' `service`): the stack's name, so two
 * Tide stacks in one account and region keep their metrics apart.
 */
export const serviceDimension = 'service';

/** The service dimension's value where no stack named it. */
export const defaultMetricsService = 'tide';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface MetricDefinition {
  name: string;
  unit: MetricUnit;
  /** `count`: events, added up within an invocation; `measure`: one value per observation. */
  kind: 'count' | 'measure';
  dimensions: readonly string[];
  /**
   * Also published with only these dimensions (each list: the ones kept), so alarms and totals
   * need no search across every value of the others. `[]`: the total.
   */
  rollups?: ReadonlyArray<readonly string[]>;
  description: string;
}

export const tideMetrics = {
  inboundMessages: {
    name: 'InboundMessages',
    unit: 'Count',
    kind: 'count',
    dimensions: ['Channel'],
    rollups: [[]],
    description: 'Customer messages accepted (a provider retry of one already stored is not counted)',
  },
  routingLatency: {
    name: 'RoutingLatency',
    unit: 'Milliseconds',
    kind: 'measure',
    dimensions: ['Queue'],
    description: 'At each assignment: how long the conversation had waited for an agent (from `waitingSince`)',
  },
  queueDepth: {
    name: 'QueueDepth',
    unit: 'Count',
    kind: 'measure',
    dimensions: ['Queue'],
    description: 'Conversations waiting in the queue (the sweep, every minute; at most 1,000 are counted)',
  },
  oldestWait: {
    name: 'OldestWaitSeconds',
    unit: 'Seconds',
    kind: 'measure',
    dimensions: ['Queue'],
    description: "How long the queue's longest-waiting customer has waited (the sweep, every minute; 0 when empty)",
  },
  onlineAgents: {
    name: 'OnlineAgents',
    unit: 'Count',
    kind: 'measure',
    dimensions: ['Queue'],
    description: 'Online agents who serve the queue (the sweep, every minute)',
  },
  agentsWithRoom: {
    name: 'AgentsWithRoom',
    unit: 'Count',
    kind: 'measure',
    dimensions: ['Queue'],
    description: "Agents who could take the queue's work now: its Availability rows (the sweep, every minute)",
  },
  slaBreaches: {
    name: 'SlaBreaches',
    unit: 'Count',
    kind: 'count',
    dimensions: ['Queue'],
    rollups: [[]],
    description: 'Conversations whose SLA deadline passed while they waited on an agent (the SLA timer)',
  },
  deliveryOutcomes: {
    name: 'DeliveryOutcomes',
    unit: 'Count',
    kind: 'count',
    dimensions: ['Channel', 'Outcome', 'Code'],
    rollups: [['Outcome']],
    description: 'Delivery attempts of replies: Outcome sent, delivered, retry or failed; Code the provider\'s (ok when sent)',
  },
  pushFailures: {
    name: 'PushFailures',
    unit: 'Count',
    kind: 'count',
    dimensions: [],
    description: 'Frames the WebSocket management API refused for a reason other than a gone connection',
  },
  timerFires: {
    name: 'TimerFires',
    unit: 'Count',
    kind: 'count',
    dimensions: ['Kind'],
    description: 'Timer fires by kind (conversation, presence, ramp)',
  },
  timerLateness: {
    name: 'TimerLatenessMs',
    unit: 'Milliseconds',
    kind: 'measure',
    dimensions: [],
    description: 'How long after its deadline a conversation timer did its work',
  },
} as const satisfies Record<string, MetricDefinition>;

export type TideMetric = (typeof tideMetrics)[keyof typeof tideMetrics];
export type CountMetric = Extract<TideMetric, { kind: 'count' }>;
export type MeasureMetric = Extract<TideMetric, { kind: 'measure' }>;
/** The dimension values a metric needs: exactly its declared dimensions. */
export type DimensionsOf<M extends MetricDefinition> = { readonly [K in M['dimensions'][number]]: string };

/**
 * Where the domain records what happens (`deps.metrics`). Recording never throws and never does
 * I/O: the Lambda recorder publishes in `flush`, once per invocation (shared/runtime/observed.ts).
 */
export interface MetricsRecorder {
  count<M extends CountMetric>(metric: M, dimensions: DimensionsOf<M>, n?: number): void;
  measure<M extends MeasureMetric>(metric: M, dimensions: DimensionsOf<M>, value: number): void;
  /** Publishes what was recorded since the last flush (a no-op where nothing publishes). */
  flush(): void;
}

/** One series: a metric with one set of dimension values. */
export const seriesKey = (name: string, dimensions: Readonly<Record<string, string>>): string =>
  `${name}{${Object.keys(dimensions).sort().map((k) => `${k}=${dimensions[k]}`).join(',')}}`;

export interface SeriesTotals {
  name: string;
  dimensions: Readonly<Record<string, string>>;
  /** Observations (measures) or count calls. */
  samples: number;
  sum: number;
  max: number;
}

/**
 * Totals in memory, never published: the local stack's recorder and the tests'. Keeps one entry
 * per series (bounded like the dimension values themselves).
 */
export class MemoryMetrics implements MetricsRecorder {
  readonly #series = new Map<string, SeriesTotals>();

  count<M extends CountMetric>(metric: M, dimensions: DimensionsOf<M>, n = 1): void {
    this.#add(metric, dimensions, n);
  }

  measure<M extends MeasureMetric>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.#add(metric, dimensions, value);
  }

  flush(): void {}

  /** Every series recorded so far. */
  snapshot(): SeriesTotals[] {
    return [...this.#series.values()].map((s) => ({ ...s }));
  }

  /** The sum over the series of `metric` whose dimensions include `where` (all of them when absent). */
  total(metric: MetricDefinition, where: Readonly<Record<string, string>> = {}): number {
    return this.#matching(metric, where).reduce((n, s) => n + s.sum, 0);
  }

  /** How many times `metric` was recorded in the series matching `where`. */
  samples(metric: MetricDefinition, where: Readonly<Record<string, string>> = {}): number {
    return this.#matching(metric, where).reduce((n, s) => n + s.samples, 0);
  }

  #matching(metric: MetricDefinition, where: Readonly<Record<string, string>>): SeriesTotals[] {
    return [...this.#series.values()].filter((s) => s.name === metric.name && Object.entries(where).every(([k, v]) => s.dimensions[k] === v));
  }

  #add(metric: MetricDefinition, dimensions: Readonly<Record<string, string>>, value: number): void {
    const key = seriesKey(metric.name, dimensions);
    const series = this.#series.get(key) ?? { name: metric.name, dimensions: { ...dimensions }, samples: 0, sum: 0, max: -Infinity };
    series.samples++;
    series.sum += value;
    series.max = Math.max(series.max, value);
    this.#series.set(key, series);
  }
}
