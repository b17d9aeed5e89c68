import { CmisError } from '../cmis/errors.js';
import {
  add,
  compare,
  formatDecimal,
  integerDigits,
  mul,
  parseDecimal,
  pow10,
  roundHalfAwayFromZero,
  sub,
  type Decimal,
  type DecimalInput,
} from './decimal.js';
import { statusInfo, type ConsumptionRule } from './status-codes.js';

export interface ConsumptionInput {
  /** CS_CU, the previous index. */
  readonly oldIndex: DecimalInput;
  /** CS_MOI, the new index as read. */
  readonly newIndex: DecimalInput;
  /** HSN, the CT×PT multiplier (1 for a direct meter). */
  readonly multiplier: DecimalInput;
  /** TTR_MOI; empty or absent is a normal read. */
  readonly status?: string;
  /** Integer digits of the meter's register, for Q; default the digits of CS_CU's integer part. */
  readonly registerDigits?: number;
}

export interface ConsumptionResult {
  /** SL in kWh (or kvarh), rounded half away from zero to a whole unit. */
  readonly consumption: string;
  /** CS_MOI as billed: the read index, or CS_CU under a zero-consumption status. */
  readonly newIndex: string;
  readonly rule: ConsumptionRule;
}

function index(value: DecimalInput, what: string): Decimal {
  const d = parseDecimal(value, what);
  if (d.units < 0n) throw new CmisError('CMIS_BAD_NUMBER', `${what} ${formatDecimal(d)} is negative: a register index never is`);
  return d;
}

export function multiplierOf(value: DecimalInput): Decimal {
  const d = parseDecimal(value, 'HSN');
  if (d.units <= 0n) throw new CmisError('CMIS_BAD_ARGUMENT', `HSN ${formatDecimal(d)} must be greater than 0`);
  return d;
}

/** Billed consumption of one register for one period, per DOMAIN.md "Consumption"; exact decimals. */
export function consumption(input: ConsumptionInput): ConsumptionResult {
  const oldIndex = index(input.oldIndex, 'CS_CU');
  const newIndex = index(input.newIndex, 'CS_MOI');
  const hsn = multiplierOf(input.multiplier);
  const status = statusInfo(input.status);
  const billed = (advance: Decimal): string => formatDecimal(roundHalfAwayFromZero(mul(advance, hsn), 0));

  switch (status.rule) {
    case 'zero':
      return { consumption: '0', newIndex: formatDecimal(oldIndex), rule: 'zero' };
    case 'rollover': {
      const digits = input.registerDigits ?? integerDigits(oldIndex);
      if (!Number.isInteger(digits) || digits < 1 || digits > 15) {
        throw new CmisError('CMIS_BAD_ARGUMENT', `registerDigits ${digits} must be an integer from 1 to 15`);
      }
      const full: Decimal = { units: pow10(digits), scale: 0 };
      if (compare(oldIndex, full) >= 0 || compare(newIndex, full) >= 0) {
        throw new CmisError('CMIS_BAD_ROLLOVER', `status Q: CS_CU ${formatDecimal(oldIndex)} and CS_MOI ${formatDecimal(newIndex)} must both fit a ${digits}-digit register`);
      }
      if (compare(newIndex, oldIndex) >= 0) {
        throw new CmisError('CMIS_BAD_ROLLOVER', `status Q but CS_MOI ${formatDecimal(newIndex)} is not below CS_CU ${formatDecimal(oldIndex)}: the register did not roll over`);
      }
      return { consumption: billed(add(sub(full, oldIndex), newIndex)), newIndex: formatDecimal(newIndex), rule: 'rollover' };
    }
    case 'difference': {
      if (compare(newIndex, oldIndex) < 0 && !status.explainsLowerIndex) {
        throw new CmisError(
          'CMIS_NEGATIVE_ADVANCE',
          `CS_MOI ${formatDecimal(newIndex)} is below CS_CU ${formatDecimal(oldIndex)} and status ${JSON.stringify(status.code)} (${status.en}) does not explain it; use Q for a rollover`,
          { context: { oldIndex: formatDecimal(oldIndex), newIndex: formatDecimal(newIndex), status: status.code } },
        );
      }
      return { consumption: billed(sub(newIndex, oldIndex)), newIndex: formatDecimal(newIndex), rule: 'difference' };
    }
  }
}

export interface SwapInput {
  /** The removed meter: its index at the start of the period and its final index when removed. */
  readonly oldMeter: { readonly oldIndex: DecimalInput; readonly finalIndex: DecimalInput; readonly multiplier: DecimalInput; readonly status?: string; readonly registerDigits?: number };
  /** The installed meter: its first index when installed and its index at this read. */
  readonly newMeter: { readonly firstIndex: DecimalInput; readonly newIndex: DecimalInput; readonly multiplier: DecimalInput; readonly status?: string; readonly registerDigits?: number };
}

export interface SwapResult {
  /** SL_THAO: consumption on the removed meter, rounded on its own (CMIS keeps it as its own column). */
  readonly removedConsumption: string;
  /** Consumption on the new meter since it was installed. */
  readonly newMeterConsumption: string;
  /** What the period bills: the sum of the two. */
  readonly total: string;
}

/** Meter swap (treo tháo): each meter's advance times its own multiplier, rounded each, then summed. */
export function swapConsumption(input: SwapInput): SwapResult {
  const { oldMeter, newMeter } = input;
  const removed = consumption({
    oldIndex: oldMeter.oldIndex,
    newIndex: oldMeter.finalIndex,
    multiplier: oldMeter.multiplier,
    ...(oldMeter.status === undefined ? {} : { status: oldMeter.status }),
    ...(oldMeter.registerDigits === undefined ? {} : { registerDigits: oldMeter.registerDigits }),
  });
  const installed = consumption({
    oldIndex: newMeter.firstIndex,
    newIndex: newMeter.newIndex,
    multiplier: newMeter.multiplier,
    ...(newMeter.status === undefined ? {} : { status: newMeter.status }),
    ...(newMeter.registerDigits === undefined ? {} : { registerDigits: newMeter.registerDigits }),
  });
  const total = add(parseDecimal(removed.consumption), parseDecimal(installed.consumption));
  return { removedConsumption: removed.consumption, newMeterConsumption: installed.consumption, total: formatDecimal(total) };
}
