import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPtyBus } from '../../../simulators/protocol/servers.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import { BusRegistry } from '../../../src/transport/bus.js';
import type { MeterDefinition } from '../../../src/gateway/model.js';
import { createBusPoller } from '../../../src/gateway/polling/bus-poller.js';
import type { PollLog } from '../../../src/gateway/polling/log.js';
import { readJob } from '../../../src/gateway/polling/read-job.js';
import { definition, shiftedClock, simMeter, waitUntil } from './fleet.js';

describe('bus poller when the port dies (USB adapter unplugged) and comes back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-poll-'));
  // The config names a stable link, like /dev/serial/by-id/…; the test re-points it at a new bus.
  const device = join(dir, 'by-id-rs485');
  const buses: Awaited<ReturnType<typeof startPtyBus>>[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the loss, fails the meters with METER_LINK_FAILED naming the port while it is gone, and reopens it', async () => {
    const fleet = [1, 2].map((i) => simMeter(i));
    const first = await startPtyBus({ meters: fleet });
    buses.push(first);
    symlinkSync(first.path, device);
    const errors: string[] = [];
    const infos: string[] = [];
    const log: PollLog = { info: (_o, m) => void infos.push(m), warn: () => undefined, error: (_o, m) => void errors.push(m) };
    const { clock } = shiftedClock();
    const poller = createBusPoller(
      { bus: { id: 'bus-b', device, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, responseTimeoutMs: 300, maxRetries: 1, interFrameGapMs: 5 } },
      { clock, log, locks: new BusRegistry() },
    );
    const meters: MeterDefinition[] = [1, 2].map((i) => definition(i, { kind: 'bus', bus: 'bus-b', server: { logical: 1, physical: 16 + i, size: 4 } }));
    const job = readJob({ clock, scalers: new ScalerCache(), serialsChecked: new Set(), eventLogMarks: new Map() });
    try {
      expect((await poller.pollAll(meters, job)).map((r) => r.ok)).toEqual([true, true]);

      await first.close(); // socat gone: our end of the line hangs up
      await waitUntil(() => errors.length > 0, 'the loss to be logged');
      expect(errors[0]).toMatch(new RegExp(`port ${device} of bus bus-b was lost`));

      const down = await poller.pollAll(meters, job);
      expect(down.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['METER_LINK_FAILED', 'METER_LINK_FAILED']);
      expect(!down[0]!.ok && down[0]!.message).toContain(device);
      // One log line for the outage, not one per meter.
      expect(errors.filter((e) => e.startsWith('cannot open'))).toHaveLength(1);
      // The meters are not to blame: no back-off, they are read as soon as the port is back.
      expect(poller.backoffState('CT001')).toBeUndefined();

      const second = await startPtyBus({ meters: fleet });
      buses.push(second);
      rmSync(device);
      symlinkSync(second.path, device);
      expect((await poller.pollAll(meters, job)).map((r) => r.ok)).toEqual([true, true]);
      expect(infos.some((m) => /reopened/.test(m))).toBe(true);
    } finally {
      await poller.close();
    }
  });
});
