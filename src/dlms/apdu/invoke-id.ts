import { DlmsError } from '../errors.js';

/**
 * Invoke-Id-And-Priority (IEC 62056-5-3 §8.4, Green Book): one byte in every LN service APDU.
 * bit 7 priority (1 = high), bit 6 service-class (1 = confirmed), bits 5-4 reserved, bits 3-0 invoke-id.
 * The client matches each response to its request by the invoke-id.
 */
export interface InvokeIdAndPriority {
  /** 0..15 */
  readonly invokeId: number;
  readonly confirmed: boolean;
  readonly highPriority: boolean;
}

/** The usual choice: confirmed, high priority (0xC0 | id), as Gurux and dlms-cosem send. */
export function invoke(invokeId: number, options: { confirmed?: boolean; highPriority?: boolean } = {}): InvokeIdAndPriority {
  return { invokeId, confirmed: options.confirmed ?? true, highPriority: options.highPriority ?? true };
}

/** Reserved bits 5-4 are ignored on decode (a meter that sets them still means the same request). */
export function invokeFromByte(b: number): InvokeIdAndPriority {
  return { invokeId: b & 0x0f, confirmed: (b & 0x40) !== 0, highPriority: (b & 0x80) !== 0 };
}

export function invokeToByte(i: InvokeIdAndPriority): number {
  if (!Number.isInteger(i.invokeId) || i.invokeId < 0 || i.invokeId > 15) {
    throw new DlmsError('DLMS_BAD_APDU', `invoke-id ${i.invokeId} is outside 0..15`);
  }
  return (i.highPriority ? 0x80 : 0) | (i.confirmed ? 0x40 : 0) | i.invokeId;
}
