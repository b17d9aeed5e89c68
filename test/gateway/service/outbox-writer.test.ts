import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayMetrics } from '../../../src/gateway/service/gateway-metrics.js';
import { createOutboxWriter } from '../../../src/gateway/service/outbox-writer.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { openStore, Outbox } from '../../../src/store/index.js';
import type { GatewayEvent } from '../../../src/wire/events.js';

const dir = mkdtempSync(join(tmpdir(), 'chiso-outbox-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the gateway’s outbox writer', () => {
  it('keeps refused reads shown while the events database and small state writes succeed', () => {
    const reads = openStore({ path: join(dir, 'reads.db') });
    const events = openStore({ path: join(dir, 'events.db') });
    const writer = createOutboxWriter({ gatewayId: 'GW1', outbox: new Outbox(reads), eventsOutbox: new Outbox(events), clock: systemClock, log: silentLogger(), metrics: gatewayMetrics() });
    const full = reads.db.pragma('page_count', { simple: true }) as number;
    reads.db.pragma(`max_page_count = ${full}`);

    const big = Array.from({ length: 200 }, (_, i) => ({
      readId: `GW1|M${i}|1.0.1.8.0.255|register|2024-07-20T03:00:00.000Z`,
      meterId: `M${i}`,
      meterTime: '2024-07-20T03:00:00.000Z',
      receivedAt: '2024-07-20T03:00:01.000Z',
      kind: 'register',
      note: 'x'.repeat(400),
    })) as never[];
    expect(writer.appendReads(big)).toBe(false);
    expect(writer.problem()).toMatchObject({ code: 'STORE_DISK_FULL' });

    const online: GatewayEvent = { type: 'meter-online', at: '2024-07-20T03:00:01.000Z', meterId: 'M1' } as GatewayEvent;
    writer.appendEvents([online]);
    expect(new Outbox(events).backlog().count).toBe(1);
    // The events file being fine says nothing about the reads file; nor does a small state write that fits.
    expect(writer.problem()).toMatchObject({ code: 'STORE_DISK_FULL' });
    expect(writer.guard('a mark', () => undefined)).toBe(true);
    expect(writer.problem()).toMatchObject({ code: 'STORE_DISK_FULL' });

    reads.db.pragma('max_page_count = 1073741823');
    expect(writer.appendReads(big.slice(0, 1))).toBe(true);
    expect(writer.problem()).toBeNull();
    reads.close();
    events.close();
  });
});
