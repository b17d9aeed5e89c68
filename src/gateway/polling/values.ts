import { isIntegerData } from '../../dlms/axdr/read.js';
import type { DlmsData } from '../../dlms/axdr/types.js';
import { scaleToUnitDecimal, TARGET_UNITS, type ScalerUnit, type TargetUnit } from '../../dlms/cosem/scaler-unit.js';
import { DlmsError } from '../../dlms/errors.js';
import type { RegisterMapping, RegisterValue } from '../model.js';
import { PollingError } from './errors.js';

/**
 * A register's raw value as the configured unit, exactly: the unit prefix is folded into the decimal
 * scaler (a meter counting 1234567 Wh with scaler 0 gives "1234.567" kWh), never through a float — these
 * numbers end on bills. Throws PollingError when that cannot be done exactly.
 */
export function registerValue(mapping: RegisterMapping, data: DlmsData, su: ScalerUnit | undefined, where: string): RegisterValue {
  if (!isIntegerData(data) || data.type === 'enum') {
    throw new PollingError('POLL_BAD_VALUE', `${where}: ${mapping.obis} is ${data.type}, not an integer: it cannot be reported exactly`, { context: { obis: mapping.obis } });
  }
  if (su === undefined) {
    throw new PollingError('POLL_BAD_VALUE', `${where}: ${mapping.obis} has no scaler_unit: the value would be reported unscaled`, { context: { obis: mapping.obis } });
  }
  if (!(mapping.unit in TARGET_UNITS)) {
    throw new PollingError('POLL_UNIT_MISMATCH', `${where}: ${mapping.obis}: configured unit ${mapping.unit} is not one the gateway converts to`, { context: { obis: mapping.obis } });
  }
  try {
    const value = scaleToUnitDecimal(data.value, su, mapping.unit as TargetUnit);
    return { obis: mapping.obis, bcs: mapping.bcs, value, unit: mapping.unit, scaler: su.scaler };
  } catch (e) {
    if (e instanceof DlmsError) {
      throw new PollingError('POLL_UNIT_MISMATCH', `${where}: ${mapping.obis}: the meter counts ${su.symbol}, the config wants ${mapping.unit}: ${e.message}`, {
        cause: e,
        context: { obis: mapping.obis, meterUnit: su.symbol, unit: mapping.unit },
      });
    }
    throw e;
  }
}

/** The mapping of a register by OBIS, whatever form the config wrote it in. */
export function mappingFor(mappings: readonly RegisterMapping[], obis: string): RegisterMapping | undefined {
  return mappings.find((m) => m.obis === obis);
}
