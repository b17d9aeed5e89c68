const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180 §2: a field is quoted when it holds `"`, `,`, CR or LF; inner quotes are doubled; records end in CRLF. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One string built by concatenation (no per-record arrays): a month-end export writes millions of fields. */
export function toCsv(records: readonly (readonly string[])[]): string {
  let out = '';
  for (const record of records) {
    for (let i = 0; i < record.length; i++) out += i === 0 ? csvField(record[i]!) : ',' + csvField(record[i]!);
    out += '\r\n';
  }
  return out;
}
