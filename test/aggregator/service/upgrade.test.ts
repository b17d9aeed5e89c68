import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { buildAggregator, centralDbPath } from '../../../src/aggregator/service/index.js';
import { centralMigrations } from '../../../src/aggregator/store/index.js';
import { parseAggregatorConfig } from '../../../src/config/load-aggregator-config.js';
import { createLogger } from '../../../src/shared/logger.js';
import { tempDir } from '../../store/temp-dir.js';
import { TEST_SCRYPT } from '../ingest/harness.js';
import { centralDbAtVersion } from '../query-plans.js';
import { configText } from './helpers.js';

/**
 * Upgrading chiso on a server that has months of data: the first start migrates the central database in
 * place (a step may rebuild an index over millions of reads), and says so in its log, so that an operator
 * watching a slow start knows what it is doing.
 */
describe('starting the aggregator on a database of an earlier version', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp.cleanup());

  async function startOnce(dir: string): Promise<{ msg: string; from?: number; to?: number; applied?: number[] }[]> {
    const lines: { msg: string; from?: number; to?: number; applied?: number[] }[] = [];
    const logger = createLogger({
      name: 'test',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString('utf8')));
          done();
        },
      }),
    });
    const config = parseAggregatorConfig(configText(dir), join(dir, 'aggregator.yaml'), { calendarSchema: CalendarSchema, env: {} });
    const agg = buildAggregator(config, { logger, scrypt: TEST_SCRYPT });
    await agg.start();
    await agg.close();
    return lines;
  }

  it('logs the upgrade once, from the version found to the current one, and keeps the reads', async () => {
    tmp = tempDir('chiso-upgrade-');
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const old = centralDbAtVersion(centralDbPath(dataDir), 5);
    old.close();

    const first = (await startOnce(tmp.dir)).filter((l) => l.msg === 'central database upgraded');
    expect(first).toMatchObject([{ from: 5, to: centralMigrations.length, applied: centralMigrations.slice(5).map((m) => m.version) }]);
    expect((await startOnce(tmp.dir)).filter((l) => l.msg === 'central database upgraded')).toEqual([]);

    const after = new Database(centralDbPath(dataDir), { readonly: true });
    expect(after.prepare('SELECT read_id, value FROM reads').all()).toEqual([{ read_id: 'r1', value: '12.5' }]);
    after.close();
  });
});
