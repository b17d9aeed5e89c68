import { connectAsync, type MqttClient } from 'mqtt';
import { loadPrivateKey } from '../../src/wire/keys.js';
import { decodeAck, gatewayTopic } from '../../src/wire/index.js';
import { signedBatch, type BenchGateway } from './ingest-batches.js';

/**
 * The simulated gateways of the ingest benchmark, in their own process (forked by ingest.ts) so that their
 * signing and publishing are not charged to the aggregator's event loop. Each gateway logs in with its own
 * credentials, publishes signed batches at QoS 1 and, like the real forwarder, keeps at most `window`
 * batches unacknowledged, sending the next one when an application ack arrives.
 */
export interface GatewaysPlan {
  url: string;
  gateways: { gatewayId: string; index: number; password: string; privateKeyPem: string; keyId: string }[];
  readsPerGateway: number;
  batchSize: number;
  window: number;
  /**
   * Sign every batch before the clock starts. Off by default: the signing then runs during the run, on the
   * same two cores as the aggregator, which a real fleet (one CPU per gateway) does not cost it.
   */
  presign: boolean;
}

export type FromGateways =
  | { type: 'ready' }
  | { type: 'done'; stored: number; batches: number; cpuSeconds: number }
  | { type: 'failed'; message: string };

function send(msg: FromGateways): void {
  process.send!(msg);
}

async function run(plan: GatewaysPlan): Promise<void> {
  const clients: MqttClient[] = [];
  let remaining = plan.gateways.length;
  let stored = 0;
  let batches = 0;
  let cpuStart = process.cpuUsage();
  const starters: (() => void)[] = [];
  let finished = false;
  const fail = (message: string): void => {
    if (finished) return;
    finished = true;
    send({ type: 'failed', message });
  };

  for (const g of plan.gateways) {
    const gw: BenchGateway = { gatewayId: g.gatewayId, index: g.index, keyId: g.keyId, privateKey: loadPrivateKey(g.privateKeyPem), epoch: `bench-${g.index}` };
    const client = await connectAsync(plan.url, { clientId: g.gatewayId, username: g.gatewayId, password: g.password, reconnectPeriod: 0, clean: true });
    clients.push(client);
    const readsTopic = gatewayTopic(g.gatewayId, 'reads');
    let nextSeq = 1;
    let inFlight = 0;
    let acked = 0;
    const next = (): Buffer => {
      const count = Math.min(plan.batchSize, plan.readsPerGateway - nextSeq + 1);
      const bytes = signedBatch(gw, nextSeq, count);
      nextSeq += count;
      return bytes;
    };
    const signed: Buffer[] = [];
    if (plan.presign) while (nextSeq <= plan.readsPerGateway) signed.push(next());
    signed.reverse();
    const pump = (): void => {
      while (inFlight < plan.window && (plan.presign ? signed.length > 0 : nextSeq <= plan.readsPerGateway)) {
        client.publish(readsTopic, plan.presign ? signed.pop()! : next(), { qos: 1 });
        inFlight++;
      }
    };
    client.on('message', (_topic, payload) => {
      const ack = decodeAck(payload);
      if (ack.result !== 'stored') return fail(`${g.gatewayId}: ack ${ack.result} ${ack.reason ?? ''} ${ack.detail ?? ''} for [${ack.seqFrom}, ${ack.seqTo}]`);
      inFlight--;
      batches++;
      acked += ack.storedCount;
      stored += ack.storedCount;
      if (acked === plan.readsPerGateway) {
        if (--remaining === 0 && !finished) {
          finished = true;
          const cpu = process.cpuUsage(cpuStart);
          send({ type: 'done', stored, batches, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
        }
        return;
      }
      pump();
    });
    await client.subscribeAsync(gatewayTopic(g.gatewayId, 'ack'), { qos: 1 });
    starters.push(pump);
  }
  // Each gateway's first window in its own turn of the event loop: signing all 500 windows in one go kept
  // this process from writing anything to its sockets for seconds, which the run then counted as ingest time.
  process.once('message', () => {
    cpuStart = process.cpuUsage();
    const start = (i: number): void => {
      if (i >= starters.length) return;
      starters[i]!();
      setImmediate(() => start(i + 1));
    };
    start(0);
  });
  send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('disconnect', resolve));
  await Promise.all(clients.map((c) => c.endAsync(true)));
}

process.once('message', (plan: GatewaysPlan) => {
  run(plan).then(
    () => process.exit(0),
    (e: unknown) => {
      fail(e);
      process.exit(1);
    },
  );
});

function fail(e: unknown): void {
  try {
    send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  } catch {
    // the parent is gone
  }
}
