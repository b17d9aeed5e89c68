import { benchBus } from './dlms-bus.js';
import { benchCutoff } from './cutoff.js';
import { benchClientThroughput } from './dlms-client-throughput.js';
import { benchWire } from './dlms-wire.js';
import { benchGatewayResources } from './gateway-resources.js';
import { benchExport } from './export.js';
import { benchExportBook } from './export-book.js';
import { benchIngest } from './ingest.js';
import { benchSimulator } from './simulator.js';

/**
 * `npm run bench`: every benchmark in turn, each printing its figures. Runs on this machine only
 * (127.0.0.1 and pseudo-terminals), bounded in time. Pick some with `npm run bench -- wire bus`.
 */
const benches: Record<string, () => Promise<void>> = {
  wire: benchWire,
  bus: benchBus,
  client: benchClientThroughput,
  simulator: benchSimulator,
  gateway: benchGatewayResources,
  ingest: benchIngest,
  export: async () => {
    await benchExport();
    await benchExportBook();
  },
  /** The month-end cutoff: every book closed (closings and screening), before its export. */
  cutoff: benchCutoff,
  /** The books export alone (database → files), on one thread and on the export pool. */
  'export-book': benchExportBook,
};

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; choose from: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
