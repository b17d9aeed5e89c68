import { MetricsRegistry, type Counter } from '../../shared/metrics.js';
import type { Counters } from '../broker/counters.js';

export interface AggregatorMetrics {
  registry: MetricsRegistry;
  httpAnswers: Counter;
  /** Exposes a part's named counters (broker, ingest) under one metric with a `counter` label. */
  expose(name: string, help: string, counters: () => Counters | undefined): void;
  gatewaysByState(count: () => Record<string, number>): void;
}

/**
 * The aggregator's Prometheus metrics. The broker and the ingest keep their own monotonic Counters
 * (src/aggregator/broker/counters.ts); they are rendered at scrape time as one series per counter name,
 * typed gauge because the registry's counters cannot be set from outside (rate() works on them the same).
 */
export function aggregatorMetrics(): AggregatorMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    httpAnswers: registry.counter('chiso_aggregator_http_answers_total', 'HTTP API answers by route and status'),
    expose(name, help, counters) {
      registry.gauge(name, help).collect((g) => {
        for (const [k, v] of Object.entries(counters()?.snapshot() ?? {})) g.set(v, { counter: k });
      });
    },
    gatewaysByState(count) {
      registry.gauge('chiso_aggregator_gateways', 'Enrolled gateways by last reported state').collect((g) => {
        for (const [state, n] of Object.entries(count())) g.set(n, { state });
      });
    },
  };
}
