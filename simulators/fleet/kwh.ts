/**
 * Exact kWh text from whole Wh. A meter counts whole units of 10^scaler Wh, so every index is a whole
 * number of Wh and its kWh value has at most three decimals: written exactly, never through a float.
 */
export function formatKwh(wh: bigint | number): string {
  const v = typeof wh === 'bigint' ? wh : BigInt(wh);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const int = abs / 1000n;
  const frac = (abs % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + int.toString() + (frac === '' ? '' : `.${frac}`);
}

/** Wh × multiplier in kWh, rounded half away from zero to a whole kWh (CMIS consumption, DOMAIN.md). */
export function billedKwh(wh: bigint | number, multiplier: number): string {
  const v = (typeof wh === 'bigint' ? wh : BigInt(wh)) * BigInt(multiplier);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const rounded = (abs + 500n) / 1000n;
  return (negative && rounded !== 0n ? '-' : '') + rounded.toString();
}
