import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes one report as `<dir>/<kind>-<date>.json` (a later run of the same day replaces it). Written to a
 * temporary name and renamed, so a reader never sees half a report.
 */
export function writeMonthReport(dir: string, kind: string, date: string, report: unknown): string {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, `${kind}-${date}.json`);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(report, null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}
