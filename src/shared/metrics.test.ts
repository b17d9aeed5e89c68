import { describe, expect, it } from 'vitest';
import { MetricsRegistry, serveMetrics } from './metrics.js';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const r = new MetricsRegistry();
    r.counter('chiso_reads_total', 'Reads taken').inc({ bus: 'rs485-1' }, 3);
    r.gauge('chiso_backlog_items', 'Items not yet acknowledged').collect((g) => g.set(42));
    const h = r.histogram('chiso_session_seconds', 'Session time', [0.5, 1]);
    h.observe(0.4, { bus: 'a"b' });
    h.observe(2, { bus: 'a"b' });
    expect(r.render()).toBe(
      [
        '# HELP chiso_reads_total Reads taken',
        '# TYPE chiso_reads_total counter',
        'chiso_reads_total{bus="rs485-1"} 3',
        '# HELP chiso_backlog_items Items not yet acknowledged',
        '# TYPE chiso_backlog_items gauge',
        'chiso_backlog_items 42',
        '# HELP chiso_session_seconds Session time',
        '# TYPE chiso_session_seconds histogram',
        'chiso_session_seconds_bucket{bus="a\\"b",le="0.5"} 1',
        'chiso_session_seconds_bucket{bus="a\\"b",le="1"} 1',
        'chiso_session_seconds_bucket{bus="a\\"b",le="+Inf"} 2',
        'chiso_session_seconds_sum{bus="a\\"b"} 2.4',
        'chiso_session_seconds_count{bus="a\\"b"} 2',
        '',
      ].join('\n'),
    );
  });

  it('refuses one name registered as two types', () => {
    const r = new MetricsRegistry();
    r.counter('x', 'x');
    expect(() => r.gauge('x', 'x')).toThrow(/already registered as a counter/);
  });

  it('serves /metrics on 127.0.0.1', async () => {
    const r = new MetricsRegistry();
    r.counter('chiso_up', 'up').inc();
    const s = await serveMetrics(r, { port: 0 });
    try {
      const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
      expect(text).toContain('chiso_up 1');
      expect((await fetch(`http://127.0.0.1:${s.port}/other`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
