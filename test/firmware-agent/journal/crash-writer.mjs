// Child process for crash.test.ts: a tight loop of synced appends, each acknowledged on stdout
// only after append(..., { sync: true }) has returned. The parent SIGKILLs it at a random ack.
//
//   node crash-writer.mjs <journal.js module URL> <journal path> <maxBytes>
//
// Records are { type: 'seq', n } with n = 0, 1, 2, ...; snapshot() is { type: 'snap', last },
// the state as of every record appended so far. On start it replays the journal and carries
// on after the last n it finds, so several rounds can run against one file.
const [modUrl, file, maxBytesArg] = process.argv.slice(2);
if (!modUrl || !file || !maxBytesArg) {
  process.stderr.write('usage: crash-writer.mjs <module url> <journal path> <maxBytes>\n');
  process.exit(2);
}
const { Journal } = await import(modUrl);

let last = -1;
const { journal, replay } = Journal.open(file, {
  maxBytes: Number(maxBytesArg),
  fsync: true,
  snapshot: () => [{ type: 'snap', last }],
});
for (const r of replay.records) last = r.type === 'snap' ? r.last : r.n;
// Pipes are written synchronously on POSIX, so each line is in the pipe before the next append.
process.stdout.write(`open ${replay.records.length} ${replay.torn} ${replay.corrupt} ${last}\n`);

const stopAt = last + 100_000; // never run away if the parent forgets us
for (let n = last + 1; n < stopAt; n++) {
  journal.append({ type: 'seq', n, pad: 'x'.repeat(n % 37) }, { sync: true });
  last = n;
  process.stdout.write(`ack ${n}\n`);
}
journal.close();
