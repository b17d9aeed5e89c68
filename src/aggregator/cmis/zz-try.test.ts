import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseBookXml, writeBookXml } from '/work/main/src/aggregator/cmis/index.js';
it('x', () => {
  const f = parseBookXml(readFileSync('/work/main/test/fixtures/cmis/D018328-2017-7-1.xml'), 'D018328-2017-7-1.xml');
  console.log(f.book, f.rows.length, f.rows[0], f.rows[19]);
  console.log(writeBookXml(f.book, f.rows).slice(0, 1500));
});
