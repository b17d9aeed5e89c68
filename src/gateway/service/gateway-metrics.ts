import { MetricsRegistry } from '../../shared/metrics.js';

/** The gateway's Prometheus metrics (served on a local port; see the config's `metrics`). */
export function gatewayMetrics() {
  const registry = new MetricsRegistry();
  return {
    registry,
    reads: registry.counter('chiso_gateway_reads_total', 'Register values read from meters and written to the outbox'),
    polls: registry.counter('chiso_gateway_polls_total', 'Meter polls by outcome (ok, or the failure code)'),
    events: registry.counter('chiso_gateway_events_total', 'Events raised by edge detection, by type'),
    cycleSeconds: registry.histogram('chiso_gateway_cycle_seconds', 'Time to poll every meter of a bus once', [1, 5, 15, 60, 300, 900, 3600]),
    backlogItems: registry.gauge('chiso_gateway_backlog_items', 'Outbox items not yet acknowledged by the aggregator'),
    backlogOldest: registry.gauge('chiso_gateway_backlog_oldest_seconds', 'Age of the oldest unacknowledged outbox item'),
    metersOffline: registry.gauge('chiso_gateway_meters_offline', 'Meters currently offline'),
    connected: registry.gauge('chiso_gateway_mqtt_connected', '1 while connected to the broker'),
  };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
