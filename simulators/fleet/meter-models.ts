import type { Bcs } from '../../src/wire/reads.js';
import type { TariffMap } from '../meter/meter-model.js';
import type { TouPeriod } from '../meter/tou.js';

/**
 * The two meter models of the simulated fleet. Which tariff register counts which TOU period is a
 * property of the model (DOMAIN.md: "configured per meter model, never assumed"), so the two differ on
 * purpose: a reader that assumed 1.8.1 = BT would be caught by the business meters.
 */
export interface RegisterSpec {
  obis: string;
  classId: number;
  /** The CMIS register (LOAI_BCS) it is, or null for one read for detection only. */
  bcs: Bcs | null;
  /** The unit CMIS bills it in (the meter counts Wh/varh × 10^scaler). */
  unit: 'kWh' | 'kvarh';
}

export interface MeterModel {
  name: string;
  /** Register unit = 10^scalerWh Wh. */
  scalerWh: number;
  tariffMap: TariffMap;
  registers: RegisterSpec[];
}

export const BCS_OF_PERIOD: Readonly<Record<TouPeriod, Bcs>> = { normal: 'BT', peak: 'CD', offpeak: 'TD' };

function model(name: string, scalerWh: number, tariffMap: TariffMap): MeterModel {
  return {
    name,
    scalerWh,
    tariffMap,
    registers: [
      { obis: '1.0.1.8.0.255', classId: 3, bcs: 'KT', unit: 'kWh' },
      { obis: '1.0.1.8.1.255', classId: 3, bcs: BCS_OF_PERIOD[tariffMap.T1], unit: 'kWh' },
      { obis: '1.0.1.8.2.255', classId: 3, bcs: BCS_OF_PERIOD[tariffMap.T2], unit: 'kWh' },
      { obis: '1.0.1.8.3.255', classId: 3, bcs: BCS_OF_PERIOD[tariffMap.T3], unit: 'kWh' },
      { obis: '1.0.3.8.0.255', classId: 3, bcs: 'VC', unit: 'kvarh' },
      { obis: '1.0.2.8.0.255', classId: 3, bcs: null, unit: 'kWh' },
    ],
  };
}

/** Single-phase household meter: counts Wh; 1.8.1 normal, 1.8.2 peak, 1.8.3 off-peak. */
export const HOUSEHOLD_MODEL = model('CHISO-SIM-1P', 0, { T1: 'normal', T2: 'peak', T3: 'offpeak' });
/** Three-phase business meter: counts 10 Wh (0.01 kWh); 1.8.1 peak, 1.8.2 normal, 1.8.3 off-peak. */
export const BUSINESS_MODEL = model('CHISO-SIM-3P', 1, { T1: 'peak', T2: 'normal', T3: 'offpeak' });

export type ProfileKind = 'household' | 'business';

export function modelOf(kind: ProfileKind): MeterModel {
  return kind === 'business' ? BUSINESS_MODEL : HOUSEHOLD_MODEL;
}
