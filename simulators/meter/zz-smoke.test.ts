import { it } from 'vitest';
import { SimulatedMeter } from './meter-model.js';
import { MeterObjects } from './cosem-objects.js';
import { OBIS } from '../../src/dlms/cosem/obis.js';
import { encodeData } from '../../src/dlms/axdr/encode.js';
it('smoke', () => {
  let now = Date.UTC(2025, 5, 15, 3, 0, 0);
  const meters = Array.from({ length: 200 }, (_, i) => new SimulatedMeter({ serial: 'X' + i, seed: i, profile: { kind: i % 5 ? 'household' : 'business' }, installedAt: Date.UTC(2023, 0, 10) + i * 86400000, initialIndexWh: 1_234_567, timeSource: () => now }));
  let t0 = performance.now();
  for (const m of meters) m.truthAt(now);
  console.log('200 meters first truth', performance.now() - t0);
  t0 = performance.now();
  for (const m of meters) m.truthAt(now + 1000);
  console.log('200 meters 2nd truth', performance.now() - t0);
  const o = new MeterObjects(meters[0]!);
  t0 = performance.now();
  const b = o.get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading');
  console.log('lp buffer', performance.now() - t0, encodeData(b as never).length);
  t0 = performance.now();
  for (let i = 0; i < 10; i++) { now += 1800_000; o.get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading'); }
  console.log('lp buffer x10', (performance.now() - t0) / 10);
  t0 = performance.now();
  for (const m of meters.slice(0, 50)) new MeterObjects(m).get({ classId: 7, obis: OBIS.loadProfile, attribute: 2 }, 'reading');
  console.log('lp buffer 50 meters', (performance.now() - t0) / 50);
});
