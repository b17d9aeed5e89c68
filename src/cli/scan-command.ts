import { MeterError } from '../client/errors.js';
import { asString } from '../dlms/axdr/read.js';
import { CLASS_ID } from '../dlms/cosem/classes.js';
import { OBIS } from '../dlms/cosem/obis.js';
import { intOption, parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';
import { clientFor, linkFor, meterOptions, meterOptionsHelp, openTransport } from './meter-connection.js';

export const scanCommand: Command = {
  name: 'scan',
  summary: 'list the HDLC addresses that answer on an RS485 bus, with their serial numbers',
  usage: `Usage: chiso scan --serial DEV [--baud 9600] [--from 16] [--to 127] [--timeout 300] [--json]

Polls every HDLC physical address in the range with SNRM; for each meter that answers it opens an
association (public client, or --password) and reads the serial number (0.0.96.1.0.255).
A silent address costs about one timeout, so keep the range to what the bus can hold.

${meterOptionsHelp}
  --from N / --to N      physical addresses to try (default 16..127)
  --json                 one JSON object per meter found`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...meterOptions, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } });
    if (!values.serial && !values.tcp) throw new UsageError('say which bus: --serial DEV (or --tcp HOST:PORT for HDLC over TCP)');
    if (values.wrapper) throw new UsageError('scan polls HDLC addresses; the wrapper has none');
    const from = intOption(values.from, 'from', 16, 0, 16383);
    const to = intOption(values.to, 'to', 127, from, 16383);
    const options = { ...values, timeout: values.timeout ?? '300', retries: values.retries ?? '0' };
    const transport = openTransport(options);
    let found = 0;
    try {
      for (let address = from; address <= to; address++) {
        const link = linkFor(options, transport, address, false);
        const client = clientFor({ ...options, timeout: values.timeout ?? '1500', retries: values.retries ?? '1' }, link, `address ${address}`);
        let serial: string | undefined;
        let problem: string | undefined;
        try {
          await client.open();
          try {
            serial = asString(await client.get({ classId: CLASS_ID.data, instanceId: OBIS.serialNumber, attributeId: 2 }));
          } catch (e) {
            problem = e instanceof MeterError ? `${e.code}` : String(e);
          }
        } catch (e) {
          if (e instanceof MeterError && e.step === 'connect' && (e.code === 'METER_NO_ANSWER' || e.code === 'METER_CORRUPT')) continue;
          if (e instanceof MeterError && e.code === 'METER_LINK_FAILED') throw e;
          problem = e instanceof MeterError ? `${e.code}` : String(e);
        } finally {
          await client.close();
        }
        found++;
        if (values.json) io.out(JSON.stringify({ address, serial: serial ?? null, problem: problem ?? null }));
        else io.out(`${String(address).padStart(5)}  ${serial ?? '-'}${problem ? `  (${problem})` : ''}`);
      }
    } catch (e) {
      io.err(`chiso scan: ${e instanceof MeterError ? `${e.code}: ` : ''}${(e as Error).message}`);
      return 1;
    } finally {
      await transport.close();
    }
    if (!values.json) io.out(`${found} meter(s) answered between ${from} and ${to}`);
    return 0;
  },
};
