// The real export worker (the build's export-worker.js, named by CHISO_TEST_EXPORT_WORKER) with two faults
// export-pool.test.ts needs: it dies the moment it is handed the book CHISO_TEST_DIE_ON (before exporting
// it: the thread ends as a crash would), and with CHISO_TEST_BROKEN_START=1 it fails as it loads (a broken
// build). Its own listener goes first, so the real worker never sees that book.
import { parentPort } from 'node:worker_threads';

if (process.env.CHISO_TEST_BROKEN_START === '1') throw new Error('broken build: the export worker fails as it loads');
const dieOn = Number(process.env.CHISO_TEST_DIE_ON);
parentPort.on('message', (m) => {
  if (m.type === 'export' && m.bookId === dieOn) process.exit(70);
});
await import(process.env.CHISO_TEST_EXPORT_WORKER);
