import type { ActionResultName } from '../../src/dlms/apdu/action-result.js';
import type { DataAccessResultName } from '../../src/dlms/apdu/data-access-result.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import type { AccessLevel } from '../meter/object-table.js';

/**
 * What the application server needs from a meter's COSEM objects. `MeterObjects` (simulators/meter)
 * satisfies it; tests may pass a small fake. Refusals are Data-Access-Result / Action-Result *names*,
 * so that the protocol layer only encodes them (IEC 62056-5-3 §8) and never has to guess.
 */
export interface AttributeTarget {
  classId: number;
  obis: string;
  attribute: number;
}

export interface MethodTarget {
  classId: number;
  obis: string;
}

export interface SelectiveAccessParams {
  selector: number;
  parameters: DlmsData;
}

export interface CosemObjectModel {
  get(ref: AttributeTarget, accessLevel: AccessLevel, selector?: SelectiveAccessParams): DlmsData | { error: DataAccessResultName };
  set(ref: AttributeTarget, value: DlmsData, accessLevel: AccessLevel): { ok: true } | { error: DataAccessResultName };
  action(
    ref: MethodTarget,
    method: number,
    params: DlmsData | undefined,
    accessLevel: AccessLevel,
  ): { ok: true; data?: DlmsData } | { error: ActionResultName };
  /** An association opened (true) or ended (false): a model may answer one association from one instant. */
  associationChanged?(open: boolean): void;
}

export type { AccessLevel };

/** A refusal is an object with `error` and no `type` (every DlmsData has a `type`). */
export function isRefusal(r: object): r is { error: string } {
  return 'error' in r && !('type' in r);
}
