import { ScalerCache, readAttributes } from '../client/register-reader.js';
import { isRetryable, MeterError } from '../client/errors.js';
import { DlmsError } from '../dlms/errors.js';
import { parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { parseAttributeArg } from './attribute-args.js';
import { clientFor, linkFor, meterOptions, meterOptionsHelp, openTransport, serverAddressOf, signOnIfAsked } from './meter-connection.js';
import { formatReading, readingToJson } from './value-format.js';

export const readCommand: Command = {
  name: 'read',
  summary: 'read attributes of one meter (registers with their unit, clock, serial …)',
  usage: `Usage: chiso read (--tcp HOST:PORT [--wrapper] | --serial DEV [--baud 9600]) [--server N] [--password P] [--json] OBIS[:attr] ...

Reads each attribute and prints it with its unit. OBIS may be written 1.0.1.8.0.255 or 1-0:1.8.0*255;
:attr picks the attribute (default 2, the value); class/obis/attr names one exactly (e.g. 7/1.0.99.1.0.255/3).

Examples:
  chiso read --serial /dev/ttyUSB0 --server 17 --password 12345678 1.0.1.8.0.255 0.0.1.0.0.255
  chiso read --tcp 10.0.0.5:4059 --wrapper --json 1.0.1.8.0.255

${meterOptionsHelp}
  --json                 one JSON object per line

Exit status: 0 all read, 1 some attribute or the meter failed, 2 wrong usage.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...meterOptions, json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('name at least one attribute to read, e.g. 1.0.1.8.0.255');
    const refs = positionals.map(parseAttributeArg);
    const transport = openTransport(values);
    const physical = serverAddressOf(values);
    const link = linkFor(values, transport, physical, true);
    const name = link.description;
    const client = clientFor(values, link, name);
    try {
      await signOnIfAsked(values, transport);
      await client.open();
      const readings = await readAttributes(client, name, refs, new ScalerCache());
      for (const r of readings) io.out(values.json ? JSON.stringify(readingToJson(r, name)) : formatReading(r));
      return readings.every((r) => r.ok) ? 0 : 1;
    } catch (e) {
      if (e instanceof DlmsError && (e.code === 'DLMS_IEC21_PROTOCOL' || e.code === 'DLMS_IEC21_TIMEOUT')) {
        io.err(`chiso read: IEC 62056-21 sign-on failed: ${e.message}`);
        return 1;
      }
      if (!(e instanceof MeterError)) throw e;
      if (values.json) io.out(JSON.stringify({ meter: name, ok: false, error: { code: e.code, step: e.step, message: e.message, retryable: isRetryable(e) } }));
      else io.err(`chiso read: ${e.code}: ${e.message}`);
      return 1;
    } finally {
      await client.close();
    }
  },
};
