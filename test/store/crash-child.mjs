// Appends to the outbox in a tight loop until it is killed, printing one line per committed call.
// argv: <compiled store index.js> <db path> <run number> <JSON array of read ids to re-append first>
// Lines: "replayed <json seqs>" | "committed <seqFrom> <seqTo> <run>-<k> <n>" | "acked <from> <to>"
// stdout to a pipe is synchronous on Linux, so a printed line means the call had returned (committed).
import { pathToFileURL } from 'node:url';

const [modulePath, dbPath, run, replayJson] = process.argv.slice(2);
const { openStore, Outbox } = await import(pathToFileURL(modulePath).href);
const store = openStore({ path: dbPath });
const outbox = new Outbox(store);
const item = (readId, i) => ({
  readId,
  kind: i % 7 === 0 ? 'event' : 'read',
  billing: i % 3 === 0,
  payload: JSON.stringify({ readId, value: `${i}.125`, pad: 'x'.repeat(i % 200) }),
  createdAt: 1_700_000_000_000 + i,
});

const replay = JSON.parse(replayJson);
if (replay.length > 0) process.stdout.write(`replayed ${JSON.stringify(outbox.append(replay.map(item)).seqs)}\n`);

for (let k = 0; ; k++) {
  const n = 1 + ((k * 7) % 40);
  const items = Array.from({ length: n }, (_, j) => item(`${run}-${k}-${j}`, k + j));
  const r = outbox.append(items);
  process.stdout.write(`committed ${r.seqFrom} ${r.seqTo} ${run}-${k} ${n}\n`);
  if (k % 5 === 4) {
    const batch = outbox.nextBatch({ maxItems: 25, maxBytes: 8_000 });
    if (batch.length > 0) {
      const from = batch[0].seq;
      const to = batch[batch.length - 1].seq;
      outbox.markSent(from, to);
      outbox.ack(from, to);
      process.stdout.write(`acked ${from} ${to}\n`);
    }
  }
}
