import type { DataLine } from '../../src/dlms/iec62056-21/data-block.js';
import type { SimulatedMeter } from '../meter/meter-model.js';

/**
 * The mode C readout of a simulated meter (IEC 62056-21 §6.4, data lines `id(value*unit)`), built from the
 * same registers the COSEM objects serve, so both paths read the same truth. EDIS ids as common meters
 * print them: C.1.0 serial, 0.9.1 time hhmmss, 0.9.2 date YYMMDD, 1.8.0–1.8.3 import total and tariffs
 * (kWh), 2.8.0 export, 3.8.0 reactive import (kvarh), F.F the status word in hex.
 */
export function readoutLines(meter: SimulatedMeter, t: number = meter.now()): DataLine[] {
  const truth = meter.truthAt(t);
  const kilo = (units: number): string => ((units * truth.unitWh) / 1000).toFixed(3).padStart(10, '0');
  const local = new Date(truth.clock + meter.utcOffsetMinutes * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const r = truth.registers;
  return [
    { id: 'C.1.0', values: [{ value: meter.serial }] },
    { id: '0.9.1', values: [{ value: `${two(local.getUTCHours())}${two(local.getUTCMinutes())}${two(local.getUTCSeconds())}` }] },
    { id: '0.9.2', values: [{ value: `${two(local.getUTCFullYear() % 100)}${two(local.getUTCMonth() + 1)}${two(local.getUTCDate())}` }] },
    { id: '1.8.0', values: [{ value: kilo(r.importTotal), unit: 'kWh' }] },
    { id: '1.8.1', values: [{ value: kilo(r.T1), unit: 'kWh' }] },
    { id: '1.8.2', values: [{ value: kilo(r.T2), unit: 'kWh' }] },
    { id: '1.8.3', values: [{ value: kilo(r.T3), unit: 'kWh' }] },
    { id: '2.8.0', values: [{ value: kilo(r.exportTotal), unit: 'kWh' }] },
    { id: '3.8.0', values: [{ value: kilo(r.reactiveImport), unit: 'kvarh' }] },
    { id: 'F.F', values: [{ value: truth.status.toString(16).toUpperCase().padStart(8, '0') }] },
  ];
}
