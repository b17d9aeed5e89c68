import type { CentralDb } from '../../../src/aggregator/store/index.js';

let seq = 0;

/** A read row as the ingest would have stored it (the batch/epoch columns are not used by phúc tra). */
export function insertRead(
  db: CentralDb,
  r: { gatewayId: string; meterId: string; point: string; value: string; meterTimeMs: number; storedAt: number; obis?: string; bcs?: string | null; kind?: string; quality?: string; unit?: string },
): string {
  const obis = r.obis ?? '1.0.1.8.0.255';
  const kind = r.kind ?? 'register';
  const iso = new Date(r.meterTimeMs).toISOString();
  const readId = `${r.gatewayId}|${r.meterId}|${obis}|${kind}|${iso}`;
  seq++;
  db.store.db
    .prepare(
      `INSERT INTO reads (read_id, gateway_id, epoch, seq, batch_id, meter_id, metering_point, obis, bcs, value, unit, meter_time, meter_time_ms,
         received_at, quality, kind, multiplier, stored_at)
       VALUES (?, ?, 'e1', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', ?)`,
    )
    .run(readId, r.gatewayId, seq, r.meterId, r.point, obis, r.bcs === undefined ? 'KT' : r.bcs, r.value, r.unit ?? 'kWh', iso, r.meterTimeMs, iso, r.quality ?? 'ok', kind, r.storedAt);
  return readId;
}
