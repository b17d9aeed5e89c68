import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { DlmsClient } from '../../client/dlms-client.js';
import { createHdlcLink } from '../../client/hdlc-link.js';
import type { LinkStats } from '../../client/link.js';
import { busLocks, type BusRegistry } from '../../transport/bus.js';
import { withInterFrameGap } from '../../transport/gap.js';
import { pacedTransport } from '../../transport/paced.js';
import { bitsPerCharacter } from '../../transport/line-format.js';
import { createSerialTransport } from '../../transport/serial.js';
import type { Transport } from '../../transport/transport.js';
import type { BusDefinition, MeterDefinition, MeterReadFailure } from '../model.js';
import { DEFAULT_BACKOFF, MeterBackoff, skippedResult, type BackoffPolicy } from './backoff.js';
import { watchClose } from './close-watch.js';
import { PollingError } from './errors.js';
import { silentLog, type PollLog } from './log.js';
import { iec21PortOptions, signOnMeter } from './bus-poller-iec21.js';
import { authenticationOf, failureOf, inRouteOrder, runSession, type MeterJob } from './session.js';

export interface BusPollerOptions {
  bus: BusDefinition;
  backoff?: BackoffPolicy;
  /** Answer timeout of the one attempt a backed-off meter gets; default the bus's responseTimeoutMs. */
  probeTimeoutMs?: number;
}

/** One conversation, for diagnostics and for tests that count what a meter cost on the wire. */
export interface SessionReport {
  meterId: string;
  mode: 'normal' | 'probe' | 'skip' | 'port-down';
  ok: boolean;
  /** HDLC frames and bytes of this conversation (zero when skipped). */
  link: LinkStats;
}

export interface BusPollerDeps {
  /** Timers of the line: gaps, pacing, connect timeouts (always real time). */
  clock?: Clock;
  /**
   * The gateway's time: result stamps and back-off waits. Differs from `clock` only when the gateway runs
   * on simulated time (the demo, the truth test); defaults to `clock`.
   */
  timeSource?: Clock;
  log?: PollLog;
  locks?: BusRegistry;
  /** The raw port; default the serial port of the bus definition. */
  openPort?: (bus: BusDefinition) => Transport;
  onSession?: (report: SessionReport) => void;
}

export interface BusPoller {
  readonly bus: BusDefinition;
  /** Polls each meter once, one conversation at a time, and returns one result per meter in route order. */
  pollAll<T extends { ok: boolean }>(meters: readonly MeterDefinition[], job: MeterJob<T>): Promise<(T | MeterReadFailure)[]>;
  backoffState(meterId: string): { failures: number; nextAttemptAt: number } | undefined;
  close(): Promise<void>;
}

const NO_TRAFFIC: LinkStats = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };

/**
 * The poller of one RS485 port. The port stays open between conversations; each meter gets the bus to
 * itself (BusLock), the inter-frame gap, and its own back-off. When the port dies (USB adapter pulled)
 * the error is logged once and the port is reopened before the next conversation; until it reopens,
 * every meter of the bus fails with METER_LINK_FAILED naming the port, without counting against the
 * meters' back-off (the meters are not at fault). A bus marked `iec21` signs each meter on (mode E)
 * before its HDLC conversation, see bus-poller-iec21.ts.
 */
export function createBusPoller(options: BusPollerOptions, deps: BusPollerDeps = {}): BusPoller {
  const { bus } = options;
  const clock = deps.clock ?? systemClock;
  const stamps = deps.timeSource ?? clock;
  const log = deps.log ?? silentLog;
  const lock = (deps.locks ?? busLocks).lockFor(bus.device);
  const backoff = new MeterBackoff(options.backoff ?? DEFAULT_BACKOFF, stamps);
  const probeTimeoutMs = options.probeTimeoutMs ?? bus.responseTimeoutMs;
  let portDown: string | undefined; // the reason, while the port is known to be unusable
  let closed = false;

  const raw =
    deps.openPort?.(bus) ??
    createSerialTransport(bus.iec21 ? iec21PortOptions(bus) : { path: bus.device, baudRate: bus.baudRate, dataBits: bus.dataBits, parity: bus.parity, stopBits: bus.stopBits });
  const paced = bus.paceBaudRate ? pacedTransport(raw, { baudRate: bus.paceBaudRate, bitsPerByte: bitsPerCharacter(bus), clock }) : raw;
  const port = watchClose(withInterFrameGap(paced, { gapMs: bus.interFrameGapMs, clock }), (error) => {
    if (error && !closed) {
      log.error({ bus: bus.id, device: bus.device, err: errorMessage(error) }, `RS485 port ${bus.device} of bus ${bus.id} was lost (adapter unplugged or line hung up): ${errorMessage(error)}; it will be reopened before the next meter`);
    }
  });

  async function ensurePort(): Promise<string | undefined> {
    if (port.isOpen) return undefined;
    try {
      await port.open();
      if (portDown !== undefined) log.info({ bus: bus.id, device: bus.device }, `RS485 port ${bus.device} of bus ${bus.id} reopened`);
      portDown = undefined;
      return undefined;
    } catch (e) {
      const reason = errorMessage(e);
      // Logged once per outage, not once per meter: a 100-meter bus must not print 100 copies.
      if (portDown === undefined) log.error({ bus: bus.id, device: bus.device, err: reason }, `cannot open RS485 port ${bus.device} of bus ${bus.id}: ${reason}`);
      portDown = reason;
      return reason;
    }
  }

  function portFailure(meter: MeterDefinition, reason: string): MeterReadFailure {
    return {
      ok: false,
      meterId: meter.id,
      receivedAt: stamps.now(),
      code: 'METER_LINK_FAILED',
      step: 'connect',
      message: `meter ${meter.id}: connect: RS485 port ${bus.device} of bus ${bus.id} is unusable: ${reason}`,
      retryable: !closed,
    };
  }

  async function pollOne<T extends { ok: boolean }>(meter: MeterDefinition, job: MeterJob<T>): Promise<T | MeterReadFailure> {
    const decision = backoff.decide(meter.id);
    if (decision.action === 'skip') {
      deps.onSession?.({ meterId: meter.id, mode: 'skip', ok: false, link: NO_TRAFFIC });
      return skippedResult(meter.id, decision, stamps.now());
    }
    return lock.run(async () => {
      const down = closed ? 'the poller is closed' : await ensurePort();
      if (down !== undefined) {
        deps.onSession?.({ meterId: meter.id, mode: 'port-down', ok: false, link: NO_TRAFFIC });
        return portFailure(meter, down);
      }
      const probe = decision.action === 'probe';
      const connection = meter.connection;
      if (connection.kind !== 'bus') throw new PollingError('POLL_WRONG_BUS', `meter ${meter.id} is not on a bus`);
      let lineBaud = bus.paceBaudRate ?? bus.baudRate;
      if (bus.iec21) {
        try {
          lineBaud = await signOnMeter(port, raw, bus, meter, clock);
        } catch (e) {
          const failure = failureOf(e, meter.id, stamps, 'sign-on');
          if (port.isOpen) backoff.failed(meter.id, failure.code, failure.step);
          deps.onSession?.({ meterId: meter.id, mode: probe ? 'probe' : 'normal', ok: false, link: NO_TRAFFIC });
          return failure;
        }
      }
      const link = createHdlcLink({
        transport: port,
        clientSap: meter.authentication.clientSap,
        server: connection.server,
        responseTimeoutMs: probe ? probeTimeoutMs : bus.responseTimeoutMs,
        maxRetries: probe ? 0 : bus.maxRetries,
        // About 50 character times of silence inside a frame, never under 100 ms (RF modems send in bursts).
        interCharacterTimeoutMs: Math.max(100, Math.ceil((50 * 10 * 1000) / lineBaud)),
        clock,
      });
      const client = new DlmsClient({
        link,
        meter: meter.id,
        authentication: authenticationOf(meter),
        responseTimeoutMs: probe ? probeTimeoutMs : bus.responseTimeoutMs,
        retries: probe ? 0 : bus.maxRetries,
        withList: meter.withList,
        maxListItems: meter.maxListItems,
        clock,
      });
      const result = await runSession(client, meter, job, stamps);
      if (result.ok) backoff.succeeded(meter.id);
      // A port that died under this conversation is not the meter's fault: no back-off for it.
      else if (port.isOpen) backoff.failed(meter.id, codeOf(result), stepOf(result));
      deps.onSession?.({ meterId: meter.id, mode: probe ? 'probe' : 'normal', ok: result.ok, link: link.stats() });
      return result;
    });
  }

  return {
    bus,
    async pollAll(meters, job) {
      for (const m of meters) {
        if (m.connection.kind !== 'bus' || m.connection.bus !== bus.id) {
          throw new PollingError('POLL_WRONG_BUS', `meter ${m.id} is not on bus ${bus.id} (${m.connection.kind === 'bus' ? `bus ${m.connection.bus}` : `tcp ${m.connection.host}`})`);
        }
      }
      const results = [];
      for (const meter of inRouteOrder(meters)) results.push(await pollOne(meter, job));
      return results;
    },
    backoffState: (id) => backoff.state(id),
    async close() {
      closed = true;
      await lock.run(() => port.close());
    },
  };
}

function codeOf(r: object): string {
  return 'code' in r && typeof r.code === 'string' ? r.code : 'METER_PROTOCOL';
}

function stepOf(r: object): string {
  return 'step' in r && typeof r.step === 'string' ? r.step : 'get';
}
