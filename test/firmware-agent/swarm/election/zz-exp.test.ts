import { test } from 'vitest';
import { makeCluster } from './cluster.js';
import { percentile } from '../sim-net.js';

test('exp', () => {
  const fail: number[] = [];
  for (let seed = 1; seed <= 2000; seed++) {
    const c = makeCluster({ n: 5, seed });
    c.net.start();
    c.net.runUntil(() => c.agreedLeader() !== null, 5000);
    c.net.run(500 + (seed % 100));
    const l = c.agreedLeader()!;
    const tk = c.net.clock.now();
    c.net.crash(l);
    const t2 = c.net.runUntil(() => { const a = c.agreedLeader(); return a !== null && a !== l; }, 5000);
    fail.push((t2 ?? Infinity) - tk);
  }
  console.log('failover p50', percentile(fail,50), 'p90', percentile(fail,90), 'p99', percentile(fail,99), 'max', Math.max(...fail), '>1500', fail.filter(x=>x>1500).length/fail.length);
});
