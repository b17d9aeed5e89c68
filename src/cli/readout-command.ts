import { signOn } from '../client/iec21-sign-on.js';
import { DlmsError } from '../dlms/errors.js';
import { edisToObis } from '../dlms/iec62056-21/edis.js';
import { createSerialTransport } from '../transport/serial.js';
import { errorMessage } from '../shared/errors.js';
import { intOption, parseCommandArgs, UsageError, type Command } from '../shared/command-line.js';

export const readoutCommand: Command = {
  name: 'readout',
  summary: 'IEC 62056-21 mode C readout of a meter (optical probe or RS485), all data lines',
  usage: `Usage: chiso readout --serial DEV [--address A] [--max-baud 9600] [--json]

Signs on at 300 baud 7E1 ("/?A!"), accepts the speed the meter proposes (up to --max-baud) and prints
the readout's data lines, with the OBIS code of the usual EDIS identifiers (1.8.0 → 1.0.1.8.0.255 …).
Which tariff register is which BCS depends on the meter model.

  --serial DEV           optical probe or RS485 port
  --address A            device address for the request (usually the serial number; default none)
  --max-baud B           highest speed to accept (default 19200)
  --timeout MS           answer timeout per message (default 2000)
  --json                 one JSON object per data line`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      serial: { type: 'string' },
      address: { type: 'string' },
      'max-baud': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!values.serial) throw new UsageError('say which port: --serial DEV');
    const maxBaud = intOption(values['max-baud'], 'max-baud', 19200, 300, 19200) as 300 | 600 | 1200 | 2400 | 4800 | 9600 | 19200;
    const line = createSerialTransport({ path: values.serial, baudRate: 300, dataBits: 7, parity: 'even', stopBits: 1, emulate7E1: true });
    try {
      await line.open();
      const result = await signOn(line, {
        mode: 'readout',
        maxBaud,
        responseTimeoutMs: intOption(values.timeout, 'timeout', 2000, 50, 60_000),
        ...(values.address ? { address: values.address } : {}),
      });
      if (result.mode !== 'readout') return 1;
      const id = result.identification;
      if (!values.json) io.out(`meter ${id.manufacturer} ${id.ident}: ${result.lines.length} data line(s)`);
      for (const l of result.lines) {
        const obis = edisToObis(l.id);
        const text = l.values.map((v) => (v.unit ? `${v.value} ${v.unit}` : v.value)).join('  ');
        if (values.json) io.out(JSON.stringify({ id: l.id, obis: obis ?? null, values: l.values }));
        else io.out(`${l.id.padEnd(12)} ${(obis ?? '').padEnd(16)} ${text}`);
      }
      return 0;
    } catch (e) {
      io.err(`chiso readout: ${e instanceof DlmsError ? `${e.code}: ` : ''}${errorMessage(e)}`);
      return 1;
    } finally {
      await line.close();
    }
  },
};
