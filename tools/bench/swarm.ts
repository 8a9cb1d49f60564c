/**
 * Swarm benchmarks (area `swarm`): constellation coordination over the ISL
 * (firmware-agent/swarm/). Everything runs on virtual time, so the figures are in virtual
 * milliseconds and do not depend on the machine (only the wall time of the run does).
 *
 * swarm-failover: leader loss → a new leader known to every alive satellite, full stack
 *   (InProcessRun: the emulator's hardware and ISL radio network, one whole agent per
 *   satellite with its swarm node; 5 satellites, default radio: 9600 bit/s, 50–100 ms
 *   latency, no loss; default agent config). Per run: wait until all agree on a leader, let it
 *   settle, then kill the leader the way a dead board dies — `powerOff()` of its satellite
 *   (radio out) and `run.kill(id)` (the agent process gone) — at a random phase of the
 *   heartbeat, and sample every 20 ms of virtual time until every running agent names the
 *   same new leader and that agent leads; the failover time is exact, the moment the last
 *   survivor learned the new leader (its `leader` event), not the sample that saw it (the
 *   sampled time is reported too). Then the old leader is powered on and booted from
 *   its journal, the constellation settles again, and the next kill follows. Default 20 runs
 *   (seeds) × 5 kills = 100 kills; --quick 1 × 3; --long 50 × 10. Target: p50/p99/max ≤ 1.5 s.
 *   Baseline: the detection part of the same failover — kill → the first node to stand
 *   (first term above the old one, exact time from the election's `term` event); the ratio
 *   says how much the election itself (votes, split votes, the new leader's first heartbeat)
 *   adds to the election timeout. Parts (detection, votes, first heartbeat) and split votes
 *   are reported too. Context, no target: the same kills (a quarter of the runs) with the
 *   election module's own defaults as the README states them (300–600 ms, heartbeat 100 ms,
 *   lease 500 ms) instead of the agent config's (500–650 ms, heartbeat 200 ms, lease 800 ms, PreVote).
 *
 * swarm-propagation: 10 satellites, 5 % ISL loss (radio `loss_probability: 0.05`), full
 *   stack. One run per seed: once a leader is agreed and every agent has telemetry (5 s),
 *   the leader proposes `payload_off` to all ten (`swarm.propose`): ballots, quorum, log
 *   entry, commit, execution on each satellite (commands and read-back against the emulated
 *   hardware), reports. Measured from the proposal to 90 % and 100 % compliance as the
 *   current leader's `propagation.compliance(cid)` says, sampled every 20 ms (limit 10 s);
 *   parts: approval by quorum, execution on every target (each one's own outcome); the
 *   proposing leader's radio airtime in the first 3 s; and the elections (new terms) in the
 *   20 s after the proposal (one command per run: a second one would start amid those).
 *   Default 8 runs; --quick 1; --long 30. Target: compliance 3 s after the proposal ≥ 99 %
 *   (pooled over all proposals: completed targets / targets). Baseline: the same seeds with
 *   no ISL loss.
 *
 * swarm-health-bytes: bytes of one health broadcast on the air, tag included: the frame
 *   `createIslCodec` makes (envelope, compressed body, 16-byte HMAC tag) plus the radio's
 *   framing (emulator/radio/network.ts: 8 bytes). A representative message, the largest
 *   possible one, and the frames actually sent in a 5-satellite in-process run (captured at
 *   the agents' `isl.tx`). Target ≤ 64 bytes. Baseline: the same message with a plain-CBOR
 *   body in the same envelope (what the compression saves).
 *
 * swarm-governor: MessageBus + Governor + ISL codec on two nodes over a radio model in this
 *   file (9600 bit/s, 8 bytes of framing, one packet at a time from a 2048-byte FIFO,
 *   50–100 ms latency, in order per pair, on a VirtualClock). Leader-like traffic: A sends B
 *   a critical heartbeat `append` every heartbeat_ms (the agent config's default, 200 ms;
 *   QoS 0) and a critical `propose` at random moments, 2 s apart on average (QoS 1); B
 *   answers each append (`append_ack`) and each propose (`ballot`, QoS 1) and sends a
 *   `report` (QoS 1) at random moments, 2 s apart on average; both broadcast health at the
 *   governor's interval. Traffic stops at the end, then 5 s drain what is in flight. Measured: critical latency A → B
 *   (`send` → B's inbox) with both nodes also offering bulk far above the link's capacity
 *   (largest bulk packets, 100/s each), next to the same traffic without bulk (the baseline,
 *   same seed). Target: critical p99 ≤ 1.2 × the p99 without bulk. Also air utilisation
 *   (the radio model's airtime, and the governor's own figure), each class's share, and the
 *   longest silence between health broadcasts (the governor stretches the interval under
 *   load and says so in each broadcast; the registry declares a peer dead after 3 missed
 *   broadcasts of max(1 s, the advertised interval)), checked with a Registry fed only B's
 *   health broadcasts: how often it would have counted B dead.
 *   Default 600 s virtual; --quick 60 s; --long 3600 s.
 *
 * The in-process runs use journal fsync off (virtual time: fsync only costs wall time).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { flushMicrotasks, VirtualClock } from '../../hal/index.js';
import { encodePlain } from '../../hal/protocol/codec.js';
import { DEFAULT_RADIO_CONFIG } from '../../emulator/radio/network.js';
import { parseScenario } from '../../emulator/scenario/load.js';
import type { ScenarioInput } from '../../emulator/scenario/schema.js';
import type { Agent } from '../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../firmware-agent/config/load.js';
import { MessageBus } from '../../firmware-agent/swarm/bus.js';
import type { BusRadio, RadioResult } from '../../firmware-agent/swarm/bus-types.js';
import { ELECTION_DEFAULTS } from '../../firmware-agent/swarm/election-config.js';
import { Governor } from '../../firmware-agent/swarm/governor.js';
import { HEALTH_BODY_MAX } from '../../firmware-agent/swarm/health-codec.js';
import { Registry, REGISTRY_DEFAULTS } from '../../firmware-agent/swarm/registry.js';
import { seededRandom } from '../../firmware-agent/swarm/seeded-random.js';
import { createIslCodec, HEADER_BYTES, KIND_CODES, TAG_BYTES, type IslCodec } from '../../firmware-agent/swarm/isl-codec.js';
import type { Priority, SwarmMessage, SwarmMessageOf } from '../../firmware-agent/swarm/messages.js';
import type { NodeId } from '../../firmware-agent/swarm/types.js';
import { InProcessRun } from '../runner/in-process.js';
import { figure, isLong, machineLoad, percentile, skipped, type Benchmark, type BenchContext, type Figure } from './harness.js';

/** The agent's default leader heartbeat period, ms (the governor bench's append rate). */
const HEARTBEAT_MS = parseAgentConfig({}).swarm.election.heartbeat_ms;
/** Sampling period of the full-stack runs, ms of virtual time. */
const SAMPLE_MS = 20;
/** The radio's framing per packet on the air, bytes (emulator/radio/network.ts). */
const RADIO_OVERHEAD = DEFAULT_RADIO_CONFIG.overheadBytes;

const sortedOf = (xs: readonly number[]): Float64Array => Float64Array.from(xs).sort();
const pct = (xs: readonly number[], p: number): number => percentile(sortedOf(xs), p);
const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : String(x));

// ---------------------------------------------------------------------------------------
// Full-stack helpers (InProcessRun)

interface SwarmRun {
  run: InProcessRun;
  dir: string;
}

async function startRun(input: ScenarioInput, onBoot?: (sat: string, a: Agent) => void): Promise<SwarmRun> {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-'));
  const run = new InProcessRun({ scenario: parseScenario(input), workDir: dir, agentConfig: { journal: { fsync: false } } });
  if (onBoot) {
    const boot = run.boot.bind(run);
    run.boot = async (sat: string): Promise<Agent> => {
      const a = await boot(sat);
      onBoot(sat, a);
      return a;
    };
  }
  await run.start();
  return { run, dir };
}

async function stopRun(r: SwarmRun): Promise<void> {
  try {
    await r.run.stop();
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
}

/** Advance the run to `atMs` (virtual), in SAMPLE_MS steps with promises settled between. */
async function advanceTo(run: InProcessRun, atMs: number): Promise<void> {
  if (atMs > run.clock.now()) await run.runTo(atMs / 1000, SAMPLE_MS);
}

/**
 * Samples `done` every SAMPLE_MS of virtual time (now first) on a grid from now; returns the
 * time it first held, or null after `limitMs`. `each` runs at every sample (invariant checks).
 */
async function until(run: InProcessRun, done: () => boolean, limitMs: number, each?: () => void): Promise<number | null> {
  const t0 = run.clock.now();
  for (let i = 0; ; i++) {
    const t = t0 + i * SAMPLE_MS;
    await advanceTo(run, t);
    each?.();
    if (done()) return run.clock.now();
    if (t - t0 >= limitMs) return null;
  }
}

/** The leader every running agent names, when they all name the same running agent and it leads. */
function agreedLeader(run: InProcessRun): string | undefined {
  let leader: string | null | undefined;
  for (const a of run.agents.values()) {
    const e = a.swarm?.election;
    if (!e) return undefined;
    if (leader === undefined) leader = e.leader;
    else if (e.leader !== leader) return undefined;
  }
  if (!leader) return undefined;
  const l = run.agents.get(leader);
  return l?.swarm?.election.role === 'leader' ? leader : undefined;
}

/** Running agents that lead a term another running agent also leads (Raft: must stay 0). */
function doubleLeaders(run: InProcessRun): number {
  const byTerm = new Map<number, number>();
  for (const a of run.agents.values()) {
    const e = a.swarm?.election;
    if (e?.role === 'leader') byTerm.set(e.term, (byTerm.get(e.term) ?? 0) + 1);
  }
  let n = 0;
  for (const c of byTerm.values()) if (c > 1) n += c - 1;
  return n;
}

function electionTiming(run: InProcessRun): string {
  const e = run.config.swarm.election;
  return `election timeout ${e.election_timeout_min_ms}–${e.election_timeout_max_ms} ms, heartbeat ${e.heartbeat_ms} ms, lease ${e.lease_ms} ms`;
}

// ---------------------------------------------------------------------------------------
// swarm-failover

interface Failover {
  /** Kill → every running agent names the same new, running leader: exact, from the agents'
   *  `leader` events (the last survivor to learn it); Infinity: never. */
  totalMs: number;
  /** The same on the SAMPLE_MS grid (what the sampling loop saw first; ≤ SAMPLE_MS later). */
  sampledMs: number;
  /** Kill → first node stands (term above the old one); Infinity: never. */
  detectMs: number;
  /** Kill → the eventual new leader won its election (its `role` event); Infinity: never. */
  electedMs: number;
  /** Kill → the first pre-vote round began (sampled; NaN: the election has no pre-vote). */
  preVoteMs: number;
  /** Terms the failover took (1: no split vote). */
  terms: number;
  candidacies: number;
}

interface FailoverSet {
  results: Failover[];
  /** Start → first agreed leader, per run, ms. */
  initial: number[];
  /** Samples that saw two running leaders of one term. */
  doubles: number;
  /** Runs ended early: no agreement after a reboot (or before a kill). */
  endedEarly: number;
  /** Highest term any node reached (elections per run, roughly). */
  maxTerm: number;
  timing: string;
  wallS: number;
}

/** Election timing of the election module's own defaults (ELECTION_DEFAULTS, README "Rules"). */
const README_ELECTION = {
  election_timeout_min_ms: ELECTION_DEFAULTS.election_timeout_min_ms,
  election_timeout_max_ms: ELECTION_DEFAULTS.election_timeout_max_ms,
  heartbeat_ms: ELECTION_DEFAULTS.heartbeat_ms,
  lease_ms: ELECTION_DEFAULTS.lease_ms,
};

/**
 * `runs` runs (seeds) of 5 satellites; in each, `killsPerRun` times: settle, kill the agreed
 * leader (power off + kill), sample until a new leader is known to all alive, power the old
 * one on and boot it, wait for agreement again.
 */
async function failoverRuns(ctx: BenchContext, runs: number, killsPerRun: number, election?: Record<string, number>, quiet = false): Promise<FailoverSet> {
  const say = (line: string): void => {
    if (!quiet) ctx.log(line);
  };
  const limitMs = 15_000;
  const set: FailoverSet = { results: [], initial: [], doubles: 0, endedEarly: 0, maxTerm: 0, timing: '', wallS: 0 };
  const wall0 = performance.now();
  for (let r = 0; r < runs; r++) {
    const seed = 101 + r;
    const rnd = seededRandom(`swarm-failover:${seed}`);
    const sr = await startRun({ name: 'bench-swarm-failover', seed, duration_s: 86_400, constellation: { count: 5 }, ...(election ? { agent: { swarm: { election } } } : {}) });
    const { run } = sr;
    set.timing ||= electionTiming(run);
    const check = (): void => void (set.doubles += doubleLeaders(run));
    try {
      const first = await until(run, () => agreedLeader(run) !== undefined, 20_000, check);
      if (first === null) {
        say(`seed ${seed}: no agreed leader within 20 s of the start; run skipped`);
        set.endedEarly++;
        continue;
      }
      set.initial.push(first);
      for (let k = 0; k < killsPerRun; k++) {
        // Settle, then kill at a random phase of the heartbeat.
        const hb = run.config.swarm.election.heartbeat_ms;
        await advanceTo(run, run.clock.now() + 3000 + rnd() * hb);
        const old = agreedLeader(run);
        if (!old) {
          say(`seed ${seed} kill ${k + 1}: no agreed leader before the kill (${view(run)}); run ended early`);
          set.endedEarly++;
          break;
        }
        const oldTerm = run.agent(old).swarm!.election.term;
        const killedAt = run.clock.now();
        let firstStand = Number.NaN;
        const electedAt = new Map<string, number>();
        const survivors = [...run.agents.entries()].filter(([id]) => id !== old);
        const cand0 = survivors.reduce((s, [, a]) => s + a.swarm!.election.stats.candidacies, 0);
        // Pre-vote rounds, where the election has them (a counter in its stats; no event).
        const preVotes = (): number => survivors.reduce((s, [, a]) => s + Number((a.swarm!.election.stats as unknown as Record<string, unknown>)['preCandidacies'] ?? Number.NaN), 0);
        const pre0 = preVotes();
        let firstPreVote = Number.NaN;
        const sample = (): void => {
          check();
          if (Number.isNaN(firstPreVote) && preVotes() > pre0) firstPreVote = run.clock.now();
        };
        // When each survivor last changed the leader it names: the exact moment (virtual time)
        // the agreement the sampling finds began is the last of these.
        const leaderChangedAt = new Map<string, number>();
        const offs = survivors.flatMap(([id, a]) => [
          a.swarm!.election.on('leader', () => void leaderChangedAt.set(id, run.clock.now())),
          a.swarm!.election.on('term', (t) => {
            if (t > oldTerm && Number.isNaN(firstStand)) firstStand = run.clock.now();
          }),
          a.swarm!.election.on('role', (role, t) => {
            if (role === 'leader' && t > oldTerm) electedAt.set(id, run.clock.now());
          }),
        ]);
        await run.constellation.byId(old)!.powerOff();
        await run.kill(old);
        const at = await until(
          run,
          () => {
            const l = agreedLeader(run);
            return l !== undefined && l !== old;
          },
          limitMs,
          sample,
        );
        for (const off of offs) off();
        const leader = agreedLeader(run);
        const newTerm = leader ? run.agent(leader).swarm!.election.term : Number.NaN;
        const won = leader !== undefined ? electedAt.get(leader) : undefined;
        const agreedAt = at === null ? Number.NaN : Math.max(...survivors.map(([id]) => leaderChangedAt.get(id) ?? Infinity));
        set.results.push({
          totalMs: at === null || !Number.isFinite(agreedAt) ? Infinity : agreedAt - killedAt,
          sampledMs: at === null ? Infinity : at - killedAt,
          detectMs: Number.isNaN(firstStand) ? Infinity : firstStand - killedAt,
          electedMs: won === undefined ? Infinity : won - killedAt,
          preVoteMs: Number.isNaN(pre0) ? Number.NaN : Number.isNaN(firstPreVote) ? Infinity : firstPreVote - killedAt,
          terms: newTerm - oldTerm,
          candidacies: survivors.reduce((s, [, a]) => s + a.swarm!.election.stats.candidacies, 0) - cand0,
        });
        if (at === null) say(`seed ${seed} kill ${k + 1}: ${old} killed, NO agreed new leader within ${limitMs} ms (${view(run)})`);
        // The old leader's board comes back and its agent boots from its journal.
        await run.constellation.byId(old)!.powerOn();
        await run.boot(old);
        const back = await until(run, () => run.agents.size === 5 && agreedLeader(run) !== undefined, 20_000, check);
        if (back === null) {
          say(`seed ${seed} kill ${k + 1}: the constellation did not agree again within 20 s of ${old}'s reboot (${view(run)}); run ended early`);
          set.endedEarly++;
          break;
        }
      }
    } finally {
      for (const a of run.agents.values()) set.maxTerm = Math.max(set.maxTerm, a.swarm?.election.term ?? 0);
      await stopRun(sr);
    }
  }
  set.wallS = (performance.now() - wall0) / 1000;
  return set;
}

function logFailovers(ctx: BenchContext, label: string, set: FailoverSet): void {
  const { results } = set;
  ctx.log(`${label}: ${set.timing}; ${results.length} kills in ${set.wallS.toFixed(1)} s wall`);
  ctx.log(`  failover ms (exact, from the agents' leader events): ${results.map((f) => ms(f.totalMs)).join(', ')}`);
  ctx.log(`  the same on the ${SAMPLE_MS} ms sampling grid: ${results.map((f) => ms(f.sampledMs)).join(', ')}`);
  if (results.some((f) => !Number.isNaN(f.preVoteMs))) ctx.log(`  first pre-vote round (sampled) ms: ${results.map((f) => ms(f.preVoteMs)).join(', ')}`);
  ctx.log(`  detection (kill → first candidacy) ms: ${results.map((f) => ms(f.detectMs)).join(', ')}`);
  ctx.log(`  elected (kill → new leader's role event) ms: ${results.map((f) => ms(f.electedMs)).join(', ')}`);
  ctx.log(`  terms per failover: ${results.map((f) => f.terms).join(', ')}; candidacies: ${results.map((f) => f.candidacies).join(', ')}`);
  ctx.log(`  initial election (start → agreed leader) ms: ${set.initial.map(ms).join(', ')}`);
  if (set.doubles > 0) ctx.log(`  WARNING: ${set.doubles} sample(s) saw two running leaders of the same term`);
  if (set.endedEarly > 0) ctx.log(`  WARNING: ${set.endedEarly} run(s) ended early (no agreed leader)`);
}

const failoverBench: Benchmark = {
  area: 'swarm',
  name: 'failover',
  title: 'leader loss → new leader known to all alive satellites, full stack, 5 satellites (virtual time); baseline = kill → first candidacy (detection)',
  run: async (ctx) => {
    const long = isLong(ctx);
    const runs = long ? 50 : ctx.quick ? 1 : 20;
    const killsPerRun = long ? 10 : ctx.quick ? 3 : 5;
    ctx.log(`${runs} run(s) × ${killsPerRun} kills, 5 satellites, sampled every ${SAMPLE_MS} ms; then the same with the README's election timing (${machineLoad()})`);
    const set = await failoverRuns(ctx, runs, killsPerRun);
    logFailovers(ctx, 'agent config defaults', set);
    // Context: the election module's own defaults, as the README states them (fewer runs).
    const altRuns = Math.max(1, Math.round(runs / 4));
    const alt = await failoverRuns(ctx, altRuns, killsPerRun, README_ELECTION, true);
    ctx.log(`README / ELECTION_DEFAULTS timing (${alt.timing}): ${altRuns} runs, ${alt.results.length} of ${altRuns * killsPerRun} kills made (${alt.endedEarly} runs ended early: no leader held for 3 s); failover ms: ${alt.results.map((f) => ms(f.totalMs)).join(', ') || 'none'}; max term reached ${alt.maxTerm}`);
    const { results } = set;
    const target = { atMost: 1500 } as const;
    if (results.length === 0) return [skipped('failover time p99', 'ms', target, 'no kill could be made')];
    const total = results.map((f) => f.totalMs);
    const detect = results.map((f) => f.detectMs);
    const single = results.filter((f) => f.terms === 1).map((f) => f.totalMs);
    const n = results.length;
    const altTotal = alt.results.map((f) => f.totalMs);
    const pre = results.map((f) => f.preVoteMs).filter((x) => !Number.isNaN(x));
    const figs: Figure[] = [
      figure(`failover time p50 (${n} kills)`, pct(total, 50), 'ms', pct(detect, 50), target),
      figure(`failover time p99 (${n} kills)`, pct(total, 99), 'ms', pct(detect, 99), target),
      figure(`failover time max (${n} kills)`, Math.max(...total), 'ms', Math.max(...detect), target),
      figure('parts, p50: kill → first candidacy (detection; after the pre-vote round, if any)', pct(detect, 50), 'ms', null),
      ...(pre.length > 0 ? [figure('parts, p50: kill → first pre-vote round (20 ms sampling)', pct(pre, 50), 'ms', null)] : []),
      figure('parts, p50: first candidacy → new leader elected (votes)', pct(results.map((f) => f.electedMs - f.detectMs), 50), 'ms', null),
      figure('parts, p50: elected → known to all alive (first heartbeat)', pct(results.map((f) => f.totalMs - f.electedMs), 50), 'ms', null),
      figure(`failover time p99 on the ${SAMPLE_MS} ms sampling grid`, pct(results.map((f) => f.sampledMs), 99), 'ms', null),
      figure('failovers that took more than one term (split votes)', n - single.length, 'kills', null),
      figure(`failover time p99, the ${single.length} kills without a split vote`, pct(single, 99), 'ms', null),
      figure('failovers with no agreed leader within 15 s', results.filter((f) => !Number.isFinite(f.totalMs)).length, 'kills', null),
      figure('samples with two leaders of one term', set.doubles + alt.doubles, 'samples', null),
      figure('initial election (start → leader known to all) p50', pct(set.initial, 50), 'ms', null),
    ];
    const e = README_ELECTION;
    const label = `README timing (${e.election_timeout_min_ms}–${e.election_timeout_max_ms} ms, heartbeat ${e.heartbeat_ms} ms)`;
    const done = altTotal.filter((x) => Number.isFinite(x));
    figs.push(figure(`${label}: failovers completed (new leader agreed within 15 s) of ${altRuns * killsPerRun} planned`, done.length, 'kills', null));
    if (done.length > 0) figs.push(figure(`${label}: failover time p50 of those`, pct(done, 50), 'ms', null));
    figs.push(figure(`${label}: highest term reached in ${altRuns} runs`, alt.maxTerm, 'terms', null));
    return figs;
  },
};

function view(run: InProcessRun): string {
  return [...run.agents].map(([id, a]) => `${id} ${a.swarm?.election.role ?? '-'}@${a.swarm?.election.term ?? '-'}→${a.swarm?.election.leader ?? 'none'}`).join(', ');
}

// ---------------------------------------------------------------------------------------
// swarm-propagation

interface Propagated {
  /** Proposal → compliance ≥ 90 % / = 100 % (the current leader's ledger); Infinity: not within the limit. */
  t90: number;
  t100: number;
  /** Compliance 3 s after the proposal, completed targets (of `targets`). */
  completedAt3s: number;
  targets: number;
  /** Proposal → consensus decided (approved); Infinity: not approved. */
  approvedMs: number;
  /** Proposal → the command's log entry committed and applied on every target; Infinity: not within the limit. */
  appliedMs: number;
  /** Proposal → every target's own outcome is `completed` (executed, reported or not); Infinity: not within the limit. */
  executedMs: number;
  /** The proposing leader's radio airtime in the 3 s after the proposal, fraction of the 3 s. */
  leaderAir3s: number;
  /** Terms begun in the STABILITY_MS after the proposal (each one an election). */
  newTerms: number;
  outcome: string;
}

/** How long after the proposal elections are counted, ms. */
const STABILITY_MS = 20_000;

/** One run per seed: agree on a leader, settle, one constellation-wide command to all. */
async function propagationRuns(ctx: BenchContext, loss: number, runs: number, count: number): Promise<Propagated[]> {
  const out: Propagated[] = [];
  const limitMs = 10_000;
  for (let r = 0; r < runs; r++) {
    const seed = 201 + r;
    const sr = await startRun({ name: 'bench-swarm-propagation', seed, duration_s: 86_400, constellation: { count }, radio: { loss_probability: loss } });
    const { run } = sr;
    const members = [...run.constellation.ids()];
    const maxTerm = (): number => Math.max(0, ...[...run.agents.values()].map((a) => a.swarm?.election.term ?? 0));
    try {
      if ((await until(run, () => agreedLeader(run) !== undefined, 30_000)) === null) {
        ctx.log(`loss ${loss}: seed ${seed}: no agreed leader within 30 s; run skipped`);
        continue;
      }
      // Every agent has cycled on real telemetry by now (arbitration needs an assessment).
      await advanceTo(run, run.clock.now() + 5000);
      const leader = agreedLeader(run);
      if (!leader) {
        ctx.log(`loss ${loss}: seed ${seed}: leadership changed while settling (${view(run)}); run skipped`);
        continue;
      }
      const swarm = run.agent(leader).swarm!;
      let approvedAt = Infinity;
      let outcome = 'undecided';
      let pid = '';
      const off = swarm.consensus.on('outcome', (rep) => {
        if (rep.pid !== pid) return;
        outcome = rep.outcome;
        if (rep.outcome === 'approved') approvedAt = run.clock.now();
      });
      const term0 = maxTerm();
      const air = (): number => run.constellation.radio.stats(leader)?.airtimeMs ?? 0;
      const air0 = air();
      let air3s = Number.NaN;
      const t0 = run.clock.now();
      const p = swarm.propose('payload_off', {}, members);
      if (!p.ok) {
        off();
        ctx.log(`loss ${loss}: seed ${seed}: ${leader} could not propose: ${p.reason}`);
        out.push({ t90: Infinity, t100: Infinity, completedAt3s: 0, targets: members.length, approvedMs: Infinity, appliedMs: Infinity, executedMs: Infinity, leaderAir3s: Number.NaN, newTerms: 0, outcome: 'not proposed' });
        continue;
      }
      pid = p.pid;
      let t90 = Infinity;
      let executed = Infinity;
      let applied = Infinity;
      let completedAt3s = 0;
      const allApplied = (): boolean => members.every((m) => run.agents.get(m)?.swarm?.propagation.commands().some((e) => e.cid === pid) === true);
      const compliance = (): { completed: number; ratio: number } => {
        // The current leader's ledger (a new leader rebuilds it from re-sent reports).
        const l = run.leader();
        const c = (l ? run.agents.get(l)?.swarm?.propagation.compliance(pid) : undefined) ?? swarm.propagation.compliance(pid);
        return c ? { completed: c.completed, ratio: c.ratio } : { completed: 0, ratio: 0 };
      };
      const allExecuted = (): boolean => members.every((m) => run.agents.get(m)?.swarm?.propagation.ownOutcome(pid)?.outcome === 'completed');
      const at = await until(
        run,
        () => compliance().ratio >= 1 - 1e-9,
        limitMs,
        () => {
          const c = compliance();
          const dt = run.clock.now() - t0;
          if (c.ratio >= 0.9 - 1e-9 && !Number.isFinite(t90)) t90 = dt;
          if (!Number.isFinite(applied) && allApplied()) applied = dt;
          if (!Number.isFinite(executed) && allExecuted()) executed = dt;
          if (dt <= 3000 + 1e-6) completedAt3s = c.completed;
          if (dt >= 3000 - 1e-6 && Number.isNaN(air3s)) air3s = (air() - air0) / 3000;
        },
      );
      const t100 = at === null ? Infinity : at - t0;
      off();
      if (Number.isNaN(air3s)) {
        await advanceTo(run, t0 + 3000);
        air3s = (air() - air0) / 3000;
      }
      // Compliance never drops: when 100 % came before the 3 s mark, all completed by then.
      if (at !== null && t100 <= 3000) completedAt3s = members.length;
      await advanceTo(run, t0 + STABILITY_MS);
      const res: Propagated = { t90, t100, completedAt3s, targets: members.length, approvedMs: approvedAt - t0, appliedMs: applied, executedMs: executed, leaderAir3s: air3s, newTerms: maxTerm() - term0, outcome };
      out.push(res);
      if (at === null) {
        const c = compliance();
        ctx.log(`loss ${loss}: seed ${seed}: payload_off (${outcome}) reached only ${c.completed}/${members.length} within ${limitMs} ms`);
      }
    } finally {
      await stopRun(sr);
    }
  }
  return out;
}

const propagationBench: Benchmark = {
  area: 'swarm',
  name: 'propagation',
  title: 'proposal → 90 % / 100 % compliance, full stack, 10 satellites, 5 % ISL loss (virtual time); baseline = same seeds with no loss',
  run: async (ctx) => {
    const runs = isLong(ctx) ? 30 : ctx.quick ? 1 : 8;
    const count = 10;
    const wall0 = performance.now();
    ctx.log(`${runs} run(s) (seeds) × one payload_off to all ${count} at 5 % loss, then the same with no loss (${machineLoad()})`);
    const lossy = await propagationRuns(ctx, 0.05, runs, count);
    const clean = await propagationRuns(ctx, 0, runs, count);
    const wall = (performance.now() - wall0) / 1000;
    const show = (xs: Propagated[]): string =>
      xs
        .map((x) => `${x.outcome}: approved ${ms(x.approvedMs)}, applied everywhere ${ms(x.appliedMs)}, executed everywhere ${ms(x.executedMs)}, 90% ${ms(x.t90)}, 100% ${ms(x.t100)} ms; at 3 s ${x.completedAt3s}/${x.targets}; leader air ${(100 * x.leaderAir3s).toFixed(0)}% of the first 3 s; ${x.newTerms} new terms in ${STABILITY_MS / 1000} s`)
        .join('\n    ');
    ctx.log(`5 % loss (${wall.toFixed(1)} s wall for both):\n    ${show(lossy)}`);
    ctx.log(`no loss:\n    ${show(clean)}`);
    const target = { atLeast: 99 } as const;
    if (lossy.length === 0) return [skipped('compliance 3 s after the proposal, 5 % loss', '%', target, 'no proposal could be made')];
    const pooled = (xs: Propagated[]): number => (100 * xs.reduce((s, x) => s + x.completedAt3s, 0)) / Math.max(1, xs.reduce((s, x) => s + x.targets, 0));
    const worst = (xs: Propagated[]): number => Math.min(...xs.map((x) => (100 * x.completedAt3s) / x.targets));
    const col = (xs: Propagated[], k: 't90' | 't100' | 'approvedMs' | 'appliedMs' | 'executedMs' | 'leaderAir3s' | 'newTerms'): number[] => xs.map((x) => x[k]);
    const base = clean.length > 0;
    const b = (v: number): number | null => (base ? v : null);
    const n = lossy.length;
    return [
      figure(`compliance 3 s after the proposal, pooled (${n} proposals × ${count} targets)`, pooled(lossy), '%', b(pooled(clean)), target),
      figure('compliance 3 s after the proposal, worst proposal', worst(lossy), '%', b(worst(clean))),
      figure('time to 90 % compliance p50', pct(col(lossy, 't90'), 50), 'ms', b(pct(col(clean, 't90'), 50))),
      figure('time to 90 % compliance max', Math.max(...col(lossy, 't90')), 'ms', b(Math.max(...col(clean, 't90')))),
      figure('time to 100 % compliance p50', pct(col(lossy, 't100'), 50), 'ms', b(pct(col(clean, 't100'), 50))),
      figure('time to 100 % compliance max', Math.max(...col(lossy, 't100')), 'ms', b(Math.max(...col(clean, 't100')))),
      figure(`proposals not at 100 % within ${10} s`, lossy.filter((x) => !Number.isFinite(x.t100)).length, 'proposals', b(clean.filter((x) => !Number.isFinite(x.t100)).length)),
      figure('parts, p50: proposal → approved by quorum', pct(col(lossy, 'approvedMs'), 50), 'ms', b(pct(col(clean, 'approvedMs'), 50))),
      figure('parts, p50: proposal → committed and applied on every target', pct(col(lossy, 'appliedMs'), 50), 'ms', b(pct(col(clean, 'appliedMs'), 50))),
      figure('parts, p50: proposal → executed on every target', pct(col(lossy, 'executedMs'), 50), 'ms', b(pct(col(clean, 'executedMs'), 50))),
      figure("proposing leader's radio airtime in the 3 s after the proposal, p50", 100 * pct(col(lossy, 'leaderAir3s'), 50), '%', b(100 * pct(col(clean, 'leaderAir3s'), 50))),
      figure(`elections (new terms) in the ${STABILITY_MS / 1000} s after the proposal, p50`, pct(col(lossy, 'newTerms'), 50), 'terms', b(pct(col(clean, 'newTerms'), 50))),
      figure(`elections (new terms) in the ${STABILITY_MS / 1000} s after the proposal, max`, Math.max(...col(lossy, 'newTerms')), 'terms', b(Math.max(...col(clean, 'newTerms')))),
    ];
  },
};

// ---------------------------------------------------------------------------------------
// swarm-health-bytes

/** A 32-byte bench key (any non-zero key: the tag's size does not depend on it). */
const BENCH_KEY = createHash('sha256').update('swarm-bench-key').digest();

const healthBench: Benchmark = {
  area: 'swarm',
  name: 'health-bytes',
  title: 'bytes per health broadcast on the air (ISL frame with its 16-byte tag + 8 bytes radio framing); baseline = same message with a plain-CBOR body',
  run: async (ctx) => {
    const members = Array.from({ length: 10 }, (_, i) => `SAT-${i + 1}`);
    const codec = createIslCodec({ key: BENCH_KEY, members, self: 'SAT-3' });
    const typical: SwarmMessageOf<'health'> = { t: 'health', term: 12, role: 'follower', leader: 'SAT-1', health: 0.93, mode: 'nominal', soc: 0.81, tmaxC: 27.4, digest: 0x9e3779b9, intervalMs: 1000 };
    const largest: SwarmMessageOf<'health'> = { ...typical, term: Number.MAX_SAFE_INTEGER, role: 'candidate', mode: 'recovery', leader: 'SAT-10', soc: Number.NaN, tmaxC: -40, digest: 0xffffffff, intervalMs: 8000 };
    const onAir = (m: SwarmMessage, counter: number): number => codec.encode(m, { counter, qos: 0, to: '*' }).length + RADIO_OVERHEAD;
    // The same message with its fields as a plain-CBOR body, in the same envelope.
    const plainOnAir = (m: SwarmMessageOf<'health'>): number => {
      const { t: _t, ...fields } = m;
      return HEADER_BYTES + encodePlain(fields).length + TAG_BYTES + RADIO_OVERHEAD;
    };
    const typ = onAir(typical, 1234);
    const big = onAir(largest, 2 ** 48 - 1);
    const bound = HEADER_BYTES + HEALTH_BODY_MAX + TAG_BYTES + RADIO_OVERHEAD;
    // Round trip of the representative frame through a receiver's codec.
    const rx = createIslCodec({ key: BENCH_KEY, members, self: 'SAT-5' });
    const dec = rx.decode(codec.encode(typical, { counter: 99, qos: 0, to: '*' }));
    if (!dec.ok) ctx.log(`WARNING: the representative health frame does not decode (${dec.reason})`);

    // The frames the agents actually send, captured at isl.tx in an in-process run.
    const sizes: number[] = [];
    const seconds = ctx.quick ? 10 : 30;
    const sr = await startRun({ name: 'bench-swarm-health', seed: 7, duration_s: 86_400, constellation: { count: 5 } }, (_sat, a) => {
      const tx = a.client.islTx.bind(a.client);
      a.client.islTx = (to: string, data: Uint8Array) => {
        if (data[1] === KIND_CODES.health) sizes.push(data.length + RADIO_OVERHEAD);
        return tx(to, data);
      };
    });
    try {
      await advanceTo(sr.run, seconds * 1000);
    } finally {
      await stopRun(sr);
    }
    const mean = sizes.reduce((s, x) => s + x, 0) / Math.max(1, sizes.length);
    const airMs = (bytes: number): number => (bytes * 8 * 1000) / DEFAULT_RADIO_CONFIG.bitRate;
    ctx.log(`representative ${typ} B, largest possible ${big} B (bound from the layout: ${bound} B); plain-CBOR body: ${plainOnAir(typical)} / ${plainOnAir(largest)} B`);
    ctx.log(`in-process run, 5 satellites × ${seconds} s: ${sizes.length} health broadcasts, ${Math.min(...sizes)}–${Math.max(...sizes)} B on the air (mean ${mean.toFixed(1)}); ${airMs(typ).toFixed(1)} ms of air each at ${DEFAULT_RADIO_CONFIG.bitRate} bit/s`);
    const target = { atMost: 64 } as const;
    const figs: Figure[] = [
      figure('health broadcast on the air, representative', typ, 'bytes', plainOnAir(typical), target),
      figure('health broadcast on the air, largest possible', big, 'bytes', plainOnAir(largest), target),
    ];
    if (sizes.length > 0) figs.push(figure(`health broadcast on the air, largest sent in a run (${sizes.length} sent)`, Math.max(...sizes), 'bytes', null, target));
    else figs.push(skipped('health broadcast on the air, largest sent in a run', 'bytes', target, 'no health broadcast captured'));
    figs.push(figure('air time of one representative health broadcast', airMs(typ), 'ms', airMs(plainOnAir(typical))));
    return figs;
  },
};

// ---------------------------------------------------------------------------------------
// swarm-governor: bus + governor + codec over a radio model

interface AirConfig {
  bitRate: number;
  overheadBytes: number;
  queueBytes: number;
  latencyMinMs: number;
  latencyMaxMs: number;
}

/** What the receiver learns about the packet it is handed (for the latency breakdown). */
interface AirMeta {
  airStart: number;
  airEnd: number;
}

interface AirNode {
  deliver: (from: NodeId, data: Uint8Array, meta: AirMeta) => void;
  txFreeAt: number;
  queued: number;
  maxQueued: number;
  busy: number;
  airtimeMs: number;
  airByKind: Map<number, number>;
}

/**
 * The ISL radio as the emulator models it, minus orbits: per node one transmitter sending
 * one packet at a time at `bitRate` from a bounded FIFO (full → `busy`), `overheadBytes` of
 * framing per packet, delivery after the airtime plus a uniform 50–100 ms, in order per pair.
 */
class SimAir {
  private readonly nodes = new Map<NodeId, AirNode>();
  private readonly pairLast = new Map<string, number>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: () => number,
    readonly cfg: AirConfig,
  ) {}

  add(id: NodeId, deliver: AirNode['deliver']): void {
    this.nodes.set(id, { deliver, txFreeAt: 0, queued: 0, maxQueued: 0, busy: 0, airtimeMs: 0, airByKind: new Map() });
  }

  node(id: NodeId): AirNode {
    return this.nodes.get(id)!;
  }

  radio(from: NodeId): BusRadio {
    return { transmit: (to, bytes) => Promise.resolve(this.transmit(from, to, bytes)) };
  }

  private transmit(from: NodeId, to: NodeId, bytes: Uint8Array): RadioResult {
    const tx = this.nodes.get(from)!;
    if (tx.queued + bytes.length > this.cfg.queueBytes) {
      tx.busy++;
      return { ok: false, code: 'busy', msg: 'radio queue full' };
    }
    const now = this.clock.now();
    const air = ((bytes.length + this.cfg.overheadBytes) * 8 * 1000) / this.cfg.bitRate;
    const start = Math.max(now, tx.txFreeAt);
    const end = start + air;
    tx.txFreeAt = end;
    tx.queued += bytes.length;
    tx.maxQueued = Math.max(tx.maxQueued, tx.queued);
    tx.airtimeMs += air;
    const kind = bytes[1]!;
    tx.airByKind.set(kind, (tx.airByKind.get(kind) ?? 0) + air);
    const copy = Uint8Array.from(bytes);
    this.clock.setTimerAt(end, () => {
      tx.queued -= copy.length;
      for (const [id, rx] of this.nodes) {
        if (id === from || (to !== '*' && to !== id)) continue;
        const key = `${from}>${id}`;
        const at = Math.max(end + this.cfg.latencyMinMs + this.random() * (this.cfg.latencyMaxMs - this.cfg.latencyMinMs), this.pairLast.get(key) ?? 0);
        this.pairLast.set(key, at);
        this.clock.setTimerAt(at, () => rx.deliver(from, copy, { airStart: start, airEnd: end }));
      }
    });
    return { ok: true };
  }
}

interface GovernorRun {
  /** Critical A → B: send → B's inbox, and its parts. */
  latency: number[];
  /** The same, by kind: heartbeat `append`s and `propose`s. */
  latencyOf: { append: number[]; propose: number[] };
  queueWait: number[];
  airMs: number[];
  /** Radio model: airtime / elapsed, per node. */
  airUtil: number;
  /** The governor's own figure (A), since start. */
  govUtil: number;
  classShare: Record<Priority, number>;
  busy: number;
  maxRadioQueue: number;
  healthIntervalMs: number;
  bulkSent: number;
  bulkEvicted: number;
  drops: Record<string, number>;
  criticalSent: number;
  /** Longest time A went without a health broadcast from B, ms. */
  maxHealthGapMs: number;
  /** A's registry window for B when that longest gap ended, ms (3 × max(1 s, B's advertised interval)). */
  healthWindowAtMaxGapMs: number;
  /** Health broadcasts from B that arrived after a registry fed only those would have counted B dead. */
  healthDeaths: number;
}

async function governorRun(seconds: number, bulk: boolean): Promise<GovernorRun> {
  const clock = new VirtualClock();
  const members = ['SAT-1', 'SAT-2'];
  const [A, B] = members as [string, string];
  const air = new SimAir(clock, seededRandom('swarm-governor-air'), {
    bitRate: DEFAULT_RADIO_CONFIG.bitRate,
    overheadBytes: DEFAULT_RADIO_CONFIG.overheadBytes,
    queueBytes: DEFAULT_RADIO_CONFIG.queueBytes,
    latencyMinMs: DEFAULT_RADIO_CONFIG.latencyMinMs,
    latencyMaxMs: DEFAULT_RADIO_CONFIG.latencyMaxMs,
  });
  const sentAt = new Map<number, number>();
  const out: GovernorRun = {
    latency: [], latencyOf: { append: [], propose: [] }, queueWait: [], airMs: [], airUtil: 0, govUtil: 0, classShare: { critical: 0, report: 0, health: 0, bulk: 0 },
    busy: 0, maxRadioQueue: 0, healthIntervalMs: 0, bulkSent: 0, bulkEvicted: 0, drops: {}, criticalSent: 0, maxHealthGapMs: 0,
    healthWindowAtMaxGapMs: 0, healthDeaths: 0,
  };
  let meta: AirMeta | undefined;
  const node = (self: string, inbox: (from: NodeId, m: SwarmMessage) => void): { bus: MessageBus; gov: Governor; codec: IslCodec } => {
    const codec = createIslCodec({ key: BENCH_KEY, members, self });
    const gov = new Governor(clock, { bitRate: DEFAULT_RADIO_CONFIG.bitRate, overheadBytes: DEFAULT_RADIO_CONFIG.overheadBytes });
    const bus = new MessageBus({ self, clock, codec, radio: air.radio(self), governor: gov, inbox, random: seededRandom(`swarm-governor-bus:${self}`) });
    air.add(self, (from, data, m) => {
      meta = m;
      bus.receive(data, from);
      meta = undefined;
    });
    return { bus, gov, codec };
  };
  let bNode: ReturnType<typeof node> | undefined;
  let lastHealthFromB = Number.NaN;
  // The swarm node's registry rule, fed B's health broadcasts only (other traffic would mask a gap).
  const healthOnly = new Registry({ self: A, members, clock, health: () => 1 });
  const a = node(A, (from, m) => {
    if (from !== B || m.t !== 'health') return;
    const now = clock.now();
    if (!Number.isNaN(lastHealthFromB)) {
      if (now - lastHealthFromB > out.maxHealthGapMs) {
        out.maxHealthGapMs = now - lastHealthFromB;
        out.healthWindowAtMaxGapMs = healthOnly.windowOf(B);
      }
      if (!healthOnly.isAlive(B)) out.healthDeaths++;
    }
    lastHealthFromB = now;
    healthOnly.onMessage(from, m);
  });
  const b = node(B, (from, m) => {
    if (from !== A) return;
    let seq: number | undefined;
    if (m.t === 'append') {
      seq = m.prevIndex;
      bNode!.bus.send(A, { t: 'append_ack', term: 1, success: true, match: m.prevIndex }, { qos: 0 });
    } else if (m.t === 'propose') {
      seq = Number(m.pid.slice(1));
      bNode!.bus.send(A, { t: 'ballot', term: 1, pid: m.pid, approve: true, reason: '' }, { qos: 1, deadlineMs: 2000 });
    }
    if (seq === undefined) return;
    const t = sentAt.get(seq);
    if (t === undefined) return; // a QoS 1 duplicate
    sentAt.delete(seq);
    const now = clock.now();
    out.latency.push(now - t);
    out.latencyOf[m.t === 'append' ? 'append' : 'propose'].push(now - t);
    if (meta) {
      out.queueWait.push(meta.airStart - t);
      out.airMs.push(meta.airEnd - meta.airStart);
    }
  });
  bNode = b;

  // Health broadcasts at the governor's interval, advertising it, as the swarm node does.
  const health = (n: typeof a, self: string): void => {
    const beat = (): void => {
      const next = Math.ceil(n.gov.healthIntervalMs());
      n.bus.send('*', { t: 'health', term: 1, role: self === A ? 'leader' : 'follower', leader: A, health: 0.95, mode: 'nominal', soc: 0.8, tmaxC: 25, digest: 0, intervalMs: next }, { qos: 0 });
      clock.setTimer(next, beat);
    };
    clock.setTimer(n.gov.healthIntervalMs(), beat);
  };
  health(a, A);
  health(b, B);

  // Critical traffic A → B: a heartbeat `append` every heartbeat_ms (the agent's default), a
  // `propose` (QoS 1, answered by a `ballot`) every 2 s. Traffic stops at the end; 5 s drain.
  const endMs = seconds * 1000;
  let seq = 0;
  const every = (periodMs: number, offsetMs: number, fn: () => void): void => {
    const tick = (): void => {
      if (clock.now() >= endMs) return;
      fn();
      clock.setTimer(periodMs, tick);
    };
    clock.setTimer(offsetMs, tick);
  };
  every(HEARTBEAT_MS, 7, () => {
    const s = ++seq;
    sentAt.set(s, clock.now());
    out.criticalSent++;
    a.bus.send(B, { t: 'append', term: 1, prevIndex: s, prevTerm: 1, entries: [], commit: s }, { qos: 0 });
  });
  // At random moments (mean 2 s), the same in both variants: not locked to the heartbeat.
  const traffic = seededRandom('swarm-governor-traffic');
  const randomly = (fn: () => void): void => {
    const tick = (): void => {
      if (clock.now() >= endMs) return;
      fn();
      clock.setTimer(1000 + traffic() * 2000, tick);
    };
    clock.setTimer(1000 + traffic() * 2000, tick);
  };
  randomly(() => {
    const s = ++seq;
    sentAt.set(s, clock.now());
    out.criticalSent++;
    const targets = ['SAT-1', 'SAT-2', 'SAT-3', 'SAT-4', 'SAT-5'];
    a.bus.send(B, { t: 'propose', term: 1, pid: `p${s}`, action: 'payload_off', params: { _targets: targets }, deadlineMs: 2000 }, { qos: 1, deadlineMs: 2000 });
  });
  // B reports (QoS 1, report class) every 2 s.
  let cid = 0;
  randomly(() => void b.bus.send(A, { t: 'report', cid: `c${++cid}`, outcome: 'completed', reason: '' }, { qos: 1, deadlineMs: 2000 }));

  // Saturating bulk on both nodes: the largest bulk packet the governor allows, 100/s each.
  if (bulk) {
    const cap = a.gov.maxPacketBytes('bulk');
    let n = 1;
    while (a.codec.encode({ t: 'bulk', data: new Uint8Array(n + 1) }, { counter: 2 ** 48 - 1, qos: 0, to: B }).length <= cap) n++;
    const data = new Uint8Array(n).fill(0xa5);
    every(10, 3, () => void a.bus.send(B, { t: 'bulk', data }, { qos: 0 }));
    every(10, 8, () => void b.bus.send(A, { t: 'bulk', data }, { qos: 0 }));
  }

  for (let t = 1000; t <= endMs; t += 1000) {
    clock.runUntil(t);
    await flushMicrotasks();
  }
  // The air figures at the end of the traffic; then the drain, for what is still in flight.
  const gm = a.gov.metrics();
  // Airtime already handed to the radio but not yet on the air at the end is not counted.
  const airA = air.node(A).airtimeMs - Math.max(0, air.node(A).txFreeAt - clock.now());
  const byKind = new Map(air.node(A).airByKind);
  for (let t = endMs + 1000; t <= endMs + 5000; t += 1000) {
    clock.runUntil(t);
    await flushMicrotasks();
  }
  const elapsed = endMs;
  out.airUtil = airA / elapsed;
  out.govUtil = gm.utilisationTotal;
  const kindAir = (k: keyof typeof KIND_CODES): number => byKind.get(KIND_CODES[k]) ?? 0;
  out.classShare = {
    critical: (kindAir('append') + kindAir('propose') + kindAir('ack') + kindAir('append_ack') + kindAir('vote') + kindAir('vote_req') + kindAir('ballot')) / elapsed,
    report: kindAir('report') / elapsed,
    health: (kindAir('health') + kindAir('digest')) / elapsed,
    bulk: kindAir('bulk') / elapsed,
  };
  out.busy = air.node(A).busy + air.node(B).busy;
  out.maxRadioQueue = Math.max(air.node(A).maxQueued, air.node(B).maxQueued);
  out.healthIntervalMs = gm.healthIntervalMs;
  out.bulkSent = gm.classes.bulk.sent;
  out.bulkEvicted = gm.classes.bulk.drops.evicted;
  out.drops = a.bus.metrics().drops;
  a.gov.close();
  b.gov.close();
  return out;
}

const governorBench: Benchmark = {
  area: 'swarm',
  name: 'governor',
  title: 'bus + governor + ISL codec over a 9600 bit/s radio model: critical latency with saturating bulk; baseline = the same traffic without bulk',
  run: async (ctx) => {
    const seconds = isLong(ctx) ? 3600 : ctx.quick ? 60 : 600;
    const wall0 = performance.now();
    const loaded = await governorRun(seconds, true);
    const idle = await governorRun(seconds, false);
    const wall = (performance.now() - wall0) / 1000;
    const q = (xs: number[]): string => `${[50, 90, 99].map((p) => pct(xs, p).toFixed(1)).join('/')}/${Math.max(...xs).toFixed(1)}`;
    ctx.log(`${seconds} s virtual × 2 in ${wall.toFixed(1)} s wall; ${loaded.criticalSent} critical sends A → B each, ${loaded.latency.length} / ${idle.latency.length} received`);
    ctx.log(`critical A → B ms p50/p90/p99/max: with bulk ${q(loaded.latency)} (queue wait ${q(loaded.queueWait)}); without ${q(idle.latency)} (queue wait ${q(idle.queueWait)})`);
    ctx.log(`  by kind, with bulk / without: heartbeat append ${q(loaded.latencyOf.append)} / ${q(idle.latencyOf.append)}; propose ${q(loaded.latencyOf.propose)} / ${q(idle.latencyOf.propose)}`);
    const share = (r: GovernorRun): string => (['critical', 'report', 'health', 'bulk'] as const).map((c) => `${c} ${(100 * r.classShare[c]).toFixed(1)}%`).join(', ');
    ctx.log(`A's air, with bulk: ${(100 * loaded.airUtil).toFixed(1)}% (${share(loaded)}); without: ${(100 * idle.airUtil).toFixed(1)}% (${share(idle)})`);
    ctx.log(`with bulk: ${loaded.bulkSent} bulk packets sent by A, ${loaded.bulkEvicted} evicted from its queue; health interval ${loaded.healthIntervalMs} ms (without: ${idle.healthIntervalMs} ms); radio busy ${loaded.busy}, radio FIFO max ${loaded.maxRadioQueue} B; A's bus drops ${JSON.stringify(loaded.drops)}`);
    const rule = `${REGISTRY_DEFAULTS.missed_broadcasts} × max(${REGISTRY_DEFAULTS.health_interval_ms} ms, advertised interval)`;
    ctx.log(`longest gap between B's health broadcasts: with bulk ${loaded.maxHealthGapMs.toFixed(0)} ms (registry window then ${loaded.healthWindowAtMaxGapMs} ms), without ${idle.maxHealthGapMs.toFixed(0)} ms (window ${idle.healthWindowAtMaxGapMs} ms)`);
    if (loaded.healthDeaths > 0 || idle.healthDeaths > 0) {
      ctx.log(`WARNING: on health broadcasts alone the registry (alive within ${rule}) would have counted the peer dead ${loaded.healthDeaths} time(s) with bulk, ${idle.healthDeaths} without (only other traffic keeps it alive); health interval with bulk ${loaded.healthIntervalMs} ms`);
    }
    const lost = loaded.criticalSent - loaded.latency.length;
    if (lost > 0) ctx.log(`WARNING: ${lost} critical messages A → B not received with bulk (without: ${idle.criticalSent - idle.latency.length})`);
    return [
      figure('critical latency p99 with saturating bulk', pct(loaded.latency, 99), 'ms', pct(idle.latency, 99), { ratioAtMost: 1.2 }),
      figure('critical latency p50 with saturating bulk', pct(loaded.latency, 50), 'ms', pct(idle.latency, 50)),
      figure('critical latency max with saturating bulk', Math.max(...loaded.latency), 'ms', Math.max(...idle.latency)),
      figure('critical queue wait (send → on the air) p99', pct(loaded.queueWait, 99), 'ms', pct(idle.queueWait, 99)),
      figure('critical messages lost (of sent)', lost, 'msgs', idle.criticalSent - idle.latency.length),
      figure('air utilisation, radio model', 100 * loaded.airUtil, '%', 100 * idle.airUtil),
      figure("air utilisation, governor's own figure", 100 * loaded.govUtil, '%', 100 * idle.govUtil),
      figure('critical share of the air', 100 * loaded.classShare.critical, '%', 100 * idle.classShare.critical),
      figure('bulk share of the air (floor 5 %)', 100 * loaded.classShare.bulk, '%', null),
      figure('radio busy refusals', loaded.busy, 'refusals', idle.busy),
      figure(`longest gap between health broadcasts heard from the peer (registry: dead after ${rule})`, loaded.maxHealthGapMs, 'ms', idle.maxHealthGapMs),
      figure('peer counted dead on health broadcasts alone', loaded.healthDeaths, 'times', idle.healthDeaths),
    ];
  },
};

export const benchmarks: Benchmark[] = [failoverBench, propagationBench, healthBench, governorBench];
