import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseScenario } from '../../emulator/scenario/load.js';
import { serveConstellation, type ServedConstellation } from '../../emulator/serve.js';
import { scanRecords } from '../../firmware-agent/journal/format.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { pollUntil } from '../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../helpers/system-tool.js';
import { freePort } from '../helpers/cli.js';

/**
 * The crash test with real processes: one satellite served in real time on a socat pty (in
 * this process), and the BUILT agent (`node dist/firmware-agent/main.js`) as a child process
 * on the other end, SIGKILLed while an action is in flight and restarted on the same journal.
 *
 * What keeps an action in flight, deterministically: the payload is `actuator_stuck` from
 * t = 0 (commands are acked, the read-back never changes) and `verify_timeout_ms` is 60 s, so
 * the agent's `payload_on` (its third decision on a healthy satellite, after ADCS sun pointing
 * and CPU unthrottle, both of which complete) sits verifying for the whole test. The
 * hardware watchdog is 10 s so that the gap between a kill and a restart is not also a reset.
 *
 * Waits are on evidence: the agent's JSON log lines on stdout, the emulator's count of `cmd`
 * frames per device, and the agent's own Prometheus counter of non-noop decisions (proof that
 * the restarted policy has seen fresh telemetry and had its chance to redo finished work).
 */

const MAIN_JS = join(ROOT, 'dist/firmware-agent/main.js');

type LogLine = Record<string, unknown> & { code?: string; action?: string; field_id?: string };

class AgentProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Anything on stdout that is not a JSON log line (must stay empty). */
  readonly notJson: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    args: string[],
    cwd: string,
  ) {
    this.child = spawn(process.execPath, [MAIN_JS, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.notJson.push(line);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line matching `pred`, waiting for it (fails fast if the agent exits). */
  async waitFor(pred: (l: LogLine) => boolean, what: string, limitMs = 10_000): Promise<LogLine> {
    try {
      await pollUntil(() => this.lines.some(pred) || !this.running, `${this.name}: ${what}`, limitMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.describe()}`);
    }
    const l = this.lines.find(pred);
    if (!l) throw new Error(`${this.name} exited before: ${what}\n${this.describe()}`);
    return l;
  }

  started(): LogLine[] {
    return this.lines.filter((l) => l.code === 'ACTION_STARTED');
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  describe(): string {
    return `--- ${this.name} stdout ---\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${this.stderr}`;
  }
}


/** The agent's own count of decisions other than noop (Prometheus, on its --metrics-port). */
async function activeDecisions(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let n = 0;
    for (const m of text.matchAll(/^agent_decisions_total\{type="(\w+)"\} (\d+)/gm)) if (m[1] !== 'noop') n += Number(m[2]);
    return n;
  } catch {
    return 0; // not listening yet
  }
}

/** Waits until the agent's policy has chosen an action (fresh telemetry, rules evaluated). */
async function policyHasActed(run: AgentProcess, metricsPort: number, limitMs = 8000): Promise<void> {
  const end = performance.now() + limitMs;
  while ((await activeDecisions(metricsPort)) === 0) {
    if (!run.running) throw new Error(`${run.name} exited\n${run.describe()}`);
    if (performance.now() > end) throw new Error(`${run.name}: no decision other than noop within ${limitMs} ms\n${run.describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const work = mkdtempSync(join(tmpdir(), 'agent-crash-'));
const agents: AgentProcess[] = [];
let served: ServedConstellation | undefined;

afterAll(async () => {
  // Even after a failure: no agent and no socat outlives the test.
  await Promise.all(agents.map((a) => a.kill('SIGKILL')));
  await served?.stop();
  rmSync(work, { recursive: true, force: true });
});

describeWithTool('socat', SOCAT_INSTALL)('agent process killed mid-action (SIGKILL, real time, pty)', () => {
  /** `dev.op` → cmd frames the hardware received. */
  const cmds = new Map<string, number>();
  const count = (key: string): number => cmds.get(key) ?? 0;
  let path = '';
  const journal = join(work, 'j');
  const config = join(work, 'cfg.yaml');

  beforeAll(async () => {
    await ensureBuilt();
    writeFileSync(
      config,
      [
        '# the stuck payload never verifies: payload_on stays in flight for the whole test',
        'actions:',
        '  verify_timeout_ms: 60000',
        '',
      ].join('\n'),
    );
    const scenario = parseScenario(
      {
        name: 'agent-crash',
        seed: 1,
        duration_s: 3600,
        constellation: { count: 1 },
        watchdog_ms: 10_000,
        faults: [{ at_s: 0, sat: 'SAT-1', fault: 'actuator_stuck', params: { dev: 'payload' } }],
      },
      'crash-process test',
    );
    served = await serveConstellation({ scenario, handleSignals: false });
    path = served.paths.get('SAT-1')!;
    served.constellation.satellites[0]!.server.endpoint.on('message', (m) => {
      if (m.kind === 'cmd') cmds.set(`${m.dev}.${m.op}`, count(`${m.dev}.${m.op}`) + 1);
    });
  }, 120_000);

  const boot = (name: string, extra: string[] = []): AgentProcess => {
    const a = new AgentProcess(name, ['--port', path, '--journal', journal, '--config', config, ...extra], work);
    agents.push(a);
    return a;
  };

  it('resumes the in-flight action, never redoes finished ones, and survives a torn journal tail', async () => {
    // ── run 1: until payload_on is in flight and its command has reached the hardware ──
    const run1 = boot('run 1');
    const inflight = await run1.waitFor((l) => l.code === 'ACTION_STARTED' && l.action === 'payload_on', 'payload_on starts');
    const inflightId = inflight.field_id!;
    expect(inflightId).toMatch(/^[0-9a-f]{16}$/);
    await pollUntil(() => count('payload.set') === 1, 'the hardware receives payload set', 3000);
    const done = run1.lines.filter((l) => l.code === 'ACTION_DONE').map((l) => ({ id: l.field_id!, action: l.action! }));
    expect(done.length, 'actions finished before the kill').toBeGreaterThan(0);
    expect(done.map((d) => d.id)).not.toContain(inflightId);
    const cmdsAtKill = new Map(cmds);
    expect((await run1.kill('SIGKILL')).signal).toBe('SIGKILL');
    expect(run1.lines.some((l) => l.code === 'ACTION_DONE' && l.field_id === inflightId), 'still in flight at the kill').toBe(false);

    // ── run 2: same journal ──
    const port2 = await freePort();
    const run2 = boot('run 2', ['--metrics-port', String(port2)]);
    expect(await run2.waitFor((l) => l.code === 'JOURNAL_OPENED', 'journal replayed')).toMatchObject({ in_flight: 1 });
    const resumed2 = await run2.waitFor((l) => l.code === 'ACTION_STARTED' && l.resumed_from_step !== undefined, 'the in-flight action resumes');
    expect(resumed2).toMatchObject({ field_id: inflightId, action: 'payload_on', resumed_from_step: 0, accepted: true });
    // The unverified step is commanded once more (and only once); finished steps are not.
    await pollUntil(() => count('payload.set') === 2, 'the resumed step reaches the hardware', 3000);
    // The policy has seen fresh telemetry and chosen something: it had its chance to redo work.
    await policyHasActed(run2, port2);
    expect((await run2.kill('SIGKILL')).signal).toBe('SIGKILL');

    // ── run 3: the journal's last record torn (a few bytes cut off its end) ──
    const size = statSync(journal).size;
    truncateSync(journal, size - 3);
    const port3 = await freePort();
    const run3 = boot('run 3', ['--metrics-port', String(port3)]);
    expect(await run3.waitFor((l) => l.code === 'JOURNAL_TORN_RECORD', 'the torn tail is reported')).toMatchObject({ level: 'warn', torn: 1, corrupt: 0 });
    expect(await run3.waitFor((l) => l.code === 'JOURNAL_OPENED', 'journal replayed')).toMatchObject({ in_flight: 1 });
    await run3.waitFor((l) => l.code === 'HAL_HELLO', 'the agent starts and says hello');
    const resumed3 = await run3.waitFor((l) => l.code === 'ACTION_STARTED' && l.resumed_from_step !== undefined, 'the in-flight action resumes again');
    expect(resumed3).toMatchObject({ field_id: inflightId, action: 'payload_on', resumed_from_step: 0, accepted: true });
    await pollUntil(() => count('payload.set') === 3, 'the resumed step reaches the hardware', 3000);
    await policyHasActed(run3, port3);
    // A clean stop of the last run: SIGTERM → exit 0.
    expect(await run3.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(run3.lines.at(-1)).toMatchObject({ code: 'AGENT_STOP', reason: 'SIGTERM' });

    // ── (a) the in-flight action: resumed, never a second fresh execution ──
    for (const run of [run2, run3]) {
      const payloadStarts = run.started().filter((l) => l.action === 'payload_on');
      expect(payloadStarts.length, `${run.name}: payload_on started`).toBeGreaterThan(0);
      for (const l of payloadStarts) expect(l.field_id, `${run.name}: every payload_on start is the resumed id`).toBe(inflightId);
      expect(payloadStarts.filter((l) => l.resumed_from_step !== undefined)).toHaveLength(1);
    }
    // The hardware saw one payload command per run (the unverified step, re-sent on resume)…
    expect(count('payload.set')).toBe(3);
    // …and nothing more for the steps that had completed before the kill.
    for (const [key, n] of cmdsAtKill) if (key !== 'payload.set') expect(count(key), `${key} commands`).toBe(n);
    expect(cmdsAtKill.get('adcs.mode')).toBe(1);
    expect(cmdsAtKill.get('obc.throttle')).toBe(1);

    // ── (b) every action done before the kill: done in the journal, never started again ──
    const records = scanRecords(readFileSync(journal)).records;
    for (const d of done) {
      const mine = records.filter((r) => r.type === 'action' && r.id === d.id);
      expect(mine.map((r) => r.state), `journal of ${d.action} ${d.id}`).toContain('done');
      expect(mine.filter((r) => r.state === 'pending'), `${d.action} started once`).toHaveLength(1);
      for (const run of [run2, run3]) expect(run.started().filter((l) => l.field_id === d.id), `${run.name} restarts ${d.action}`).toEqual([]);
    }
    // The in-flight one is still in flight (never done, never failed).
    expect(records.filter((r) => r.type === 'action' && r.id === inflightId).map((r) => r.state)).not.toContain('done');

    // stdout was JSON log lines only, in every run; nothing on stderr.
    for (const run of [run1, run2, run3]) {
      expect(run.notJson, `${run.name}: non-JSON on stdout`).toEqual([]);
      expect(run.stderr, `${run.name}: stderr`).toBe('');
    }
  }, 30_000);
});
