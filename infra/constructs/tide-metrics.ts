import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { metricsNamespace, serviceDimension, type MetricDefinition } from '../../shared/runtime/metrics.js';

/**
 * Tide's own metrics (shared/runtime/metrics.ts) as CloudWatch sees them: in namespace `Tide`,
 * under the stack's `service` dimension, with exactly the dimensions the handlers publish.
 */
export class TideMetrics {
  constructor(readonly service: string) {}

  /**
   * One series. `dimensions` are the metric's own, or one of its rollups' (CloudWatch matches
   * dimension sets exactly, so a series is found only under the set it was published with).
   */
  metric(definition: MetricDefinition, dimensions: Readonly<Record<string, string>>, options: { statistic: string; period: Duration; label?: string }): cloudwatch.Metric {
    const names = Object.keys(dimensions).sort();
    const published = [definition.dimensions, ...(definition.rollups ?? [])].some((set) => [...set].sort().join() === names.join());
    if (!published) throw new Error(`${definition.name} is not published with dimensions [${names.join(', ')}]`);
    return new cloudwatch.Metric({
      namespace: metricsNamespace,
      metricName: definition.name,
      dimensionsMap: { [serviceDimension]: this.service, ...dimensions },
      statistic: options.statistic,
      period: options.period,
      ...(options.label ? { label: options.label } : {}),
    });
  }

  /**
   * Every series of a metric under its own dimensions, whatever their values (a dashboard's
   * SEARCH: channels, outcomes and codes are not known when the stack is built).
   */
  search(definition: MetricDefinition, options: { statistic: string; period: Duration; label?: string }): cloudwatch.MathExpression {
    const schema = [metricsNamespace, serviceDimension, ...definition.dimensions].join(',');
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${schema}} MetricName="${definition.name}" ${serviceDimension}="${this.service}"', '${options.statistic}', ${options.period.toSeconds()})`,
      usingMetrics: {},
      period: options.period,
      label: options.label ?? '',
    });
  }
}
