import type { DataLine, DataValue } from './data-block.js';

/**
 * EDIS ids of a mode C readout (IEC 62056-61 reduced notation C.D.E, with the letters C, F for the
 * abstract groups 96 and 97) mapped to full OBIS codes A.B.C.D.E.F.
 *
 * This is a *default*: which register a meter puts under which id is configured per meter model,
 * never assumed (DOMAIN.md), so every helper takes the table as a parameter and callers override or
 * extend it per profile: `{ ...DEFAULT_EDIS_TO_OBIS, '1.8.1': '1.0.1.8.2.255' }`.
 */
export type EdisTable = Readonly<Record<string, string>>;

export const DEFAULT_EDIS_TO_OBIS: EdisTable = {
  '1.8.0': '1.0.1.8.0.255', // active energy import, total (KT)
  '1.8.1': '1.0.1.8.1.255', // active energy import, tariff 1
  '1.8.2': '1.0.1.8.2.255', // active energy import, tariff 2
  '1.8.3': '1.0.1.8.3.255', // active energy import, tariff 3
  '2.8.0': '1.0.2.8.0.255', // active energy export, total
  '3.8.0': '1.0.3.8.0.255', // reactive energy import, total (VC)
  'C.1.0': '0.0.96.1.0.255', // meter serial number (C = 96)
  '0.9.1': '1.0.0.9.1.255', // local time hh:mm:ss
  '0.9.2': '1.0.0.9.2.255', // local date YY-MM-DD
};

export function edisToObis(id: string, table: EdisTable = DEFAULT_EDIS_TO_OBIS): string | undefined {
  return Object.prototype.hasOwnProperty.call(table, id) ? table[id] : undefined;
}

export interface MappedValue {
  obis: string;
  id: string;
  values: DataValue[];
}

/** The readout lines whose id the table knows, with their OBIS code; unknown ids are left out. */
export function mapReadout(lines: readonly DataLine[], table: EdisTable = DEFAULT_EDIS_TO_OBIS): MappedValue[] {
  const out: MappedValue[] = [];
  for (const line of lines) {
    const obis = edisToObis(line.id, table);
    if (obis !== undefined) out.push({ obis, id: line.id, values: line.values });
  }
  return out;
}
