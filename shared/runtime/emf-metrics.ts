import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  defaultMetricsService,
  metricsNamespace,
  seriesKey,
  type CountMetric,
  type DimensionsOf,
  type MeasureMetric,
  type MetricDefinition,
  type MetricsRecorder,
} from './metrics.js';

/**
 * Values of one metric per EMF record. Powertools publishes on its own at 100 (and then forgets
 * the dimensions for the rest), so a record stops one short.
 */
const valuesPerRecord = 99;

interface Series {
  metric: MetricDefinition;
  dimensions: Readonly<Record<string, string>>;
  values: number[];
}

/**
 * Metrics in CloudWatch's embedded metric format (Powertools), for Lambda: CloudWatch Logs turns
 * each record the function prints into metric data, with no API call and no latency.
 *
 * Within an invocation, counts are added up and measures collected per series (metric name and
 * dimension values); `flush` prints one record per dimension set, holding every metric recorded
 * with those values, and nothing when nothing was recorded. A metric's rollups are series of
 * their own, recorded along with it: as extra dimension sets of one record they would make
 * Powertools warn of a key collision on every flush.
 */
export class EmfMetrics implements MetricsRecorder {
  readonly #pending = new Map<string, Series>();
  readonly #powertools: Metrics;

  constructor(options: { service?: string; powertools?: Metrics } = {}) {
    this.#powertools = options.powertools ?? new Metrics({ namespace: metricsNamespace, serviceName: options.service || defaultMetricsService });
  }

  count<M extends CountMetric>(metric: M, dimensions: DimensionsOf<M>, n = 1): void {
    for (const series of this.#seriesOf(metric, dimensions)) series.values[0] = (series.values[0] ?? 0) + n;
  }

  measure<M extends MeasureMetric>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    for (const series of this.#seriesOf(metric, dimensions)) series.values.push(value);
  }

  flush(): void {
    const records = new Map<string, Series[]>();
    for (const series of this.#pending.values()) {
      const key = seriesKey('', series.dimensions);
      records.set(key, [...(records.get(key) ?? []), series]);
    }
    this.#pending.clear();
    for (const group of records.values()) this.#publish(group);
  }

  /** The series a value goes to: the metric's with these dimensions, and each of its rollups'. */
  #seriesOf(metric: MetricDefinition, dimensions: Readonly<Record<string, string>>): Series[] {
    const sets = [dimensions, ...(metric.rollups ?? []).map((kept) => Object.fromEntries(kept.map((d) => [d, dimensions[d]!])))];
    return sets.map((set) => {
      const key = seriesKey(metric.name, set);
      let series = this.#pending.get(key);
      if (!series) this.#pending.set(key, (series = { metric, dimensions: { ...set }, values: [] }));
      return series;
    });
  }

  #publish(group: Series[]): void {
    const [{ dimensions }] = group as [Series];
    for (let offset = 0; group.some((s) => s.values.length > offset); offset += valuesPerRecord) {
      // Dimensions are cleared by every publish: set again for each record.
      for (const [name, value] of Object.entries(dimensions)) this.#powertools.addDimension(name, value);
      for (const series of group) {
        for (const value of series.values.slice(offset, offset + valuesPerRecord)) {
          this.#powertools.addMetric(series.metric.name, series.metric.unit, value);
        }
      }
      this.#powertools.publishStoredMetrics();
    }
  }
}
