import type { KeyObject } from 'node:crypto';
import { sealEnvelope } from '../../src/wire/envelope.js';
import { sign } from '../../src/wire/keys.js';

/**
 * Month-end read batches as a gateway's forwarder cuts them (200 billing-snapshot reads, five registers per
 * meter), written as JSON text directly: signBatch validates every read with zod, which would make the
 * simulated gateways, not the aggregator, the slowest part of the benchmark. The first batch of a run is
 * checked against the real schema by the caller, so the text cannot drift from the wire format unnoticed.
 */
/** The five registers a month-end read carries per meter: OBIS code, LOAI_BCS, unit. */
export const REGISTERS = [
  ['1.0.1.8.0.255', 'KT', 'kWh'],
  ['1.0.1.8.1.255', 'BT', 'kWh'],
  ['1.0.1.8.2.255', 'CD', 'kWh'],
  ['1.0.1.8.3.255', 'TD', 'kWh'],
  ['1.0.3.8.0.255', 'VC', 'kvarh'],
] as const;

export interface BenchGateway {
  gatewayId: string;
  /** Index of the gateway in the run: keeps metering points and book codes distinct across gateways. */
  index: number;
  keyId: string;
  privateKey: KeyObject;
  epoch: string;
}

/** Reads seq .. seq + count − 1 of one gateway (seq from 1): each meter's five registers at the month-end snapshot. */
export function batchPayload(gw: BenchGateway, seqFrom: number, count: number): string {
  const reads: string[] = [];
  for (let seq = seqFrom; seq < seqFrom + count; seq++) {
    const meter = Math.floor((seq - 1) / REGISTERS.length);
    const [obis, bcs, unit] = REGISTERS[(seq - 1) % REGISTERS.length]!;
    const meterId = `MTR-${gw.index}-${meter}`;
    const customer = `PD${String(gw.index).padStart(4, '0')}${String(meter).padStart(7, '0')}`;
    const value = `${10_000 + ((meter * 7919 + seq) % 90_000)}.${seq % 10}`;
    reads.push(
      `{"readId":"${gw.gatewayId}|${meterId}|${obis}|billing-snapshot|2024-07-31T17:00:00.000Z","meterId":"${meterId}",` +
        `"meteringPoint":"${customer}001","customerCode":"${customer}","bookCode":"Q${gw.index}-${Math.floor(meter / 1120)}",` +
        `"routeOrder":${(meter % 1120) + 1},"obis":"${obis}","bcs":"${bcs}","value":"${value}","unit":"${unit}","scaler":-1,` +
        `"meterTime":"2024-08-01T00:00:00+07:00","receivedAt":"2024-07-31T17:00:12.345Z","quality":["ok","billing-snapshot"],` +
        `"kind":"billing-snapshot","periodStart":"2024-07-01","periodEnd":"2024-07-31","multiplier":"1"}`,
    );
  }
  const seqTo = seqFrom + count - 1;
  return (
    `{"v":1,"type":"reads","gatewayId":"${gw.gatewayId}","keyId":"${gw.keyId}","epoch":"${gw.epoch}",` +
    `"seqFrom":${seqFrom},"seqTo":${seqTo},"createdAt":"2024-07-31T17:00:30Z","reads":[${reads.join(',')}]}`
  );
}

/**
 * The MQTT payload for `…/reads`: the batch text signed with the gateway's key, in the envelope bytes that
 * sealEnvelope produces (ingest.ts checks the first batch of a run against it byte for byte). Written
 * straight into one buffer: sealEnvelope's JSON.stringify and UTF-8 encoding of a 160 KB envelope would
 * double the simulated gateways' CPU, which on this one machine is taken from the aggregator under test.
 */
export function signedBatch(gw: BenchGateway, seqFrom: number, count: number): Buffer {
  const payload = Buffer.from(batchPayload(gw, seqFrom, count), 'utf8');
  const sig = sign(payload, gw.privateKey);
  const head = `{"v":1,"type":"reads","gatewayId":${JSON.stringify(gw.gatewayId)},"keyId":${JSON.stringify(gw.keyId)},"seqFrom":${seqFrom},"seqTo":${seqFrom + count - 1},"payload":"`;
  const base64 = payload.toString('base64');
  const tail = `","sig":"${Buffer.from(sig).toString('base64')}"}`;
  const out = Buffer.allocUnsafe(head.length + base64.length + tail.length);
  let at = out.write(head, 0, 'latin1');
  at += out.write(base64, at, 'latin1');
  out.write(tail, at, 'latin1');
  return out;
}

/** The same batch sealed by the wire's own code: what signedBatch must equal. */
export function sealedBatch(gw: BenchGateway, seqFrom: number, count: number): Uint8Array {
  const payload = Buffer.from(batchPayload(gw, seqFrom, count), 'utf8');
  return sealEnvelope({ type: 'reads', gatewayId: gw.gatewayId, keyId: gw.keyId, seqFrom, seqTo: seqFrom + count - 1 }, payload, gw.privateKey);
}
