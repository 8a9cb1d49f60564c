import { test } from 'vitest';
import { makeCluster } from './cluster.js';
test('dbg', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const c = makeCluster({ n: 5, seed });
    const log: string[] = [];
    for (const id of c.ids) { const e = c.node(id); e.on('role', (r) => log.push(`${c.net.clock.now().toFixed(0)} ${id} ${r} ${e.term} ${e.state}`)); e.on('term', (t) => log.push(`${c.net.clock.now().toFixed(0)} ${id} term ${t} ${e.state}`)); }
    c.net.start();
    const t = c.net.runUntil(() => c.agreedLeader() !== null, 5000);
    if (t === undefined) { console.log(seed, log.slice(0, 40).join('\n')); for (const id of c.ids) console.log(id, c.node(id).role, c.node(id).term, c.node(id).state, c.node(id).leader); break; }
  }
});
