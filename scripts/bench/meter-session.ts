import { DlmsClient } from '../../src/client/dlms-client.js';
import type { ApduLink } from '../../src/client/link.js';
import { ScalerCache, readAttributes } from '../../src/client/register-reader.js';
import { attributeRef } from '../../src/dlms/cosem/classes.js';

/** "A full read of one meter": the six energy registers and the clock, over an LLS association. */
export const FULL_READ = [
  ...['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.2.8.0.255', '1.0.3.8.0.255'].map((o) => attributeRef(3, o, 2)),
  attributeRef(8, '0.0.1.0.0.255', 2),
];

export const PASSWORD = '12345678';

/** One reading session: associate, read, release. Throws if any attribute failed. */
export async function readSession(link: ApduLink, meter: string, cache: ScalerCache, withList: 'auto' | 'never', timeoutMs = 3000): Promise<void> {
  const client = new DlmsClient({ link, meter, authentication: { mechanism: 'lls', password: PASSWORD }, withList, responseTimeoutMs: timeoutMs, retries: 1 });
  try {
    await client.open();
    const readings = await readAttributes(client, meter, FULL_READ, cache);
    const failed = readings.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
  } finally {
    await client.close();
  }
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
