/**
 * Block check character (IEC 62056-21 §6.3, block check character): the XOR of every character after the first
 * SOH or STX up to and including the ETX (or EOT) that ends the block. Computed over the 7-bit
 * characters, so it is itself a 7-bit character when the parity bit has been stripped.
 */
export function blockCheck(bytes: Uint8Array, start: number, endInclusive: number): number {
  let bcc = 0;
  for (let i = start; i <= endInclusive && i < bytes.length; i++) bcc ^= bytes[i] as number;
  return bcc;
}
