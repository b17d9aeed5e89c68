import { it } from 'vitest';
import { householdProfile } from './consumption.js';
import { TouCalendar } from './tou.js';
import { PulseAccounting } from './tariff-accounting.js';
it('prof', () => {
  const now = Date.UTC(2025, 5, 15, 3, 0, 0);
  const inst = Date.UTC(2023, 0, 10);
  let t0 = performance.now();
  for (let i = 0; i < 200; i++) { const p = householdProfile({ seed: i }); p.energyMwh(inst, now); }
  console.log('profile energy', (performance.now() - t0) / 200);
  t0 = performance.now();
  const cal = new TouCalendar();
  let n = 0;
  for (let i = 0; i < 200; i++) cal.forEachSegment(inst, now, () => n++);
  console.log('segments', (performance.now() - t0) / 200, n / 200);
  t0 = performance.now();
  for (let i = 0; i < 200; i++) { const p = householdProfile({ seed: i }); p.energyMwh(inst, now); const acc = new PulseAccounting((t) => p.energyMwh(inst, t), 1000, cal, inst); acc.at(now); }
  console.log('pulses', (performance.now() - t0) / 200);
});
