/**
 * Wall-clock limit of the swarm's CPU-bound tests. Everything in them runs on virtual time, so
 * what they check never depends on how fast the machine is; only how long they take does
 * (the 1,000-run property tests take ~6 s on an idle 2-core machine, several times that when
 * six engineers share it). Under vitest's default limit (20 s, vitest.config.ts) a saturated
 * machine could fail them for nothing but slowness; this limit is far above any real run.
 */
export const CPU_BOUND_TEST_MS = 300_000;
