import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HardwareClient } from '../../../hal/index.js';
import { parseScenario } from '../../../emulator/scenario/load.js';
import type { ScenarioInput } from '../../../emulator/scenario/schema.js';
import { parseReply, type GroundCommand, type GroundReply } from '../../../firmware-agent/ground/format.js';
import { InProcessRun } from '../../../tools/runner/in-process.js';
import { capturedLog, groundKeys, packet } from './helpers.js';

/**
 * The agent and the ground station in one process on virtual time (tools/runner/in-process.ts):
 * commands travel as radio packets from the station (above SAT-1 at t=0: in view for the
 * first ~280 s) and come back as replies. The test speaks the wire format itself.
 */
async function groundRig(opts: { key?: boolean; count?: number; faults?: ScenarioInput['faults'] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ground-agent-'));
  const keys = groundKeys(dir);
  const scenario = parseScenario({
    name: 'ground-test', duration_s: 600, constellation: { count: opts.count ?? 1 },
    ground_station: { lat_deg: 0, lon_deg: 0, elevation_mask_deg: 5 }, faults: opts.faults ?? [],
  });
  const lines: Record<string, unknown>[] = [];
  const run = new InProcessRun({
    scenario,
    workDir: dir,
    agentConfig: opts.key === false ? {} : { ground: { public_key_file: keys.publicPath } },
    logFor: (sat) => {
      const c = capturedLog(sat);
      c.lines.push = (...xs) => lines.push(...xs); // one list across reboots
      return c.log;
    },
  });
  await run.start();
  const client = new HardwareClient({ link: run.constellation.groundLink!, clock: run.clock, sw: 'ground-test' });
  const replies: GroundReply[] = [];
  client.on('isl', (rx) => {
    const r = parseReply(rx.data);
    if (r) replies.push(r);
  });
  const started = client.start();
  await run.runTo(1);
  await started;
  let counter = 100;
  const after = (s: number) => run.runTo(run.clock.now() / 1000 + s);
  /** Puts a packet on the air from the station to `sat` and lets 2 s pass. */
  const raw = async (pkt: Uint8Array, sat = 'SAT-1'): Promise<void> => {
    void client.islTx(sat, pkt);
    await after(2);
  };
  const send = async (cmd: GroundCommand, o: { sat?: string; to?: string; key?: KeyObject } = {}): Promise<Uint8Array> => {
    const pkt = packet({ ...cmd, sat: o.sat ?? 'SAT-1', n: ++counter }, o.key ?? keys.privateKey);
    await raw(pkt, o.to ?? o.sat ?? 'SAT-1');
    return pkt;
  };
  const count = (result: string, sat = 'SAT-1') => run.agent(sat).metrics.counter('ground_commands', result as 'accepted').value;
  const logged = (code: string) => lines.filter((l) => l.code === code);
  return { run, keys, replies, send, raw, after, count, logged, agent: (sat = 'SAT-1') => run.agent(sat) };
}

describe('ground commands through the radio, end to end', () => {
  it('a signed pause holds the decision loop (cycles and watchdog go on, no reset); resume lets it decide again', async () => {
    const g = await groundRig();
    await g.after(5);
    const decisions = () => Object.values(g.agent().metrics.snapshot().counters).length && ['noop', 'safety', 'corrective', 'mission'].reduce((s, t) => s + g.agent().metrics.counter('decisions', t).value, 0);
    expect(decisions()).toBeGreaterThan(0);
    await g.send({ op: 'pause' });
    expect(g.agent().isPaused).toBe(true);
    expect(g.replies.at(-1)).toMatchObject({ result: 'accepted', op: 'pause', status: { paused: true } });
    const [d0, cycles0, pets0] = [decisions(), g.agent().cycle.index, g.agent().metrics.counter('watchdog_pets').value];
    await g.after(10); // five watchdog periods
    expect(decisions()).toBe(d0);
    expect(g.agent().cycle.index).toBeGreaterThan(cycles0 + 50);
    expect(g.agent().metrics.counter('watchdog_pets').value).toBeGreaterThan(pets0 + 50);
    expect(g.run.restarts).toEqual([]);
    await g.send({ op: 'resume' });
    expect(g.agent().isPaused).toBe(false);
    await g.after(2);
    expect(decisions()).toBeGreaterThan(d0);
    expect(g.count('accepted')).toBe(2);
    expect(g.logged('GROUND_CMD_ACCEPTED').map((l) => l.op)).toEqual(['pause', 'resume']);
    await g.run.stop();
  }, 30_000);

  it('a journal that will not take the counter fails the command without acting (a reboot could accept it again)', async () => {
    const g = await groundRig();
    await g.after(5);
    const journal = (g.agent() as unknown as { journal: { append: (...a: unknown[]) => void } }).journal;
    const append = journal.append;
    journal.append = () => {
      throw Object.assign(new Error('disk full'), { code: 'E_JOURNAL_IO' });
    };
    await g.send({ op: 'pause' });
    journal.append = append;
    expect(g.agent().isPaused).toBe(false);
    expect(g.count('failed')).toBe(1);
    expect(g.count('accepted')).toBe(0);
    expect(g.replies.at(-1)).toMatchObject({ result: 'failed', op: 'pause', why: expect.stringContaining('counter not persisted: disk full') });
    expect(g.logged('JOURNAL_ERROR').at(-1)).toMatchObject({ err: 'E_JOURNAL_IO' });
    await g.run.stop();
  }, 30_000);

  it('a mode override changes the mode, with the ground reason in the log', async () => {
    const g = await groundRig();
    await g.after(5);
    expect(g.agent().currentMode).not.toBe('safe');
    await g.send({ op: 'mode', mode: 'safe', reason: 'ops test' });
    expect(g.agent().currentMode).toBe('safe');
    expect(g.logged('MODE_CHANGE').at(-1)).toMatchObject({ to: 'safe', reason: 'ground: ops test' });
    await g.run.stop();
  }, 30_000);

  it('cancel stops a running action (final state, journaled); after a reboot from the journal it is not run again, and an old command is a replay', async () => {
    // The payload actuator never moves: the policy's payload_on retries its read-back for a long while.
    const g = await groundRig({ faults: [{ at_s: 0, fault: 'actuator_stuck', sat: 'SAT-1', params: { dev: 'payload' } }] });
    await g.after(5);
    await g.send({ op: 'pause' }); // no new decisions while we look
    const running = g.agent().executor.active();
    expect(running.map((a) => a.action)).toEqual(['payload_on']);
    const id = running[0]!.id;
    const status = await g.send({ op: 'status' });
    expect(g.replies.at(-1)?.status?.actions).toEqual([id]);
    await g.send({ op: 'cancel', id });
    expect(g.replies.at(-1)).toMatchObject({ result: 'accepted', op: 'cancel', status: { actions: [] } });
    expect(g.agent().executor.outcome(id)).toBe('cancelled');
    expect(g.agent().state.completed.get(id)).toBe('cancelled');
    expect(g.agent().metrics.counter('actions', 'cancelled').value).toBe(1);
    expect(g.logged('ACTION_CANCELLED')).toMatchObject([{ field_id: id, action: 'payload_on' }]); // (the logger keeps `id` for the satellite)

    await g.run.restart('SAT-1', 'test reboot');
    await g.after(10); // the reboot flies autonomously again (pause is not journaled)
    const a = g.agent();
    expect(a.state.counters.boots).toBe(2);
    expect(a.isPaused).toBe(false);
    expect(a.executor.outcome(id)).toBe('cancelled');
    expect(a.executor.active().map((x) => x.id)).not.toContain(id);
    expect(g.logged('ACTION_STARTED').filter((l) => l.field_id === id)).toHaveLength(1);
    // The status command from before the reboot, sent again: its counter is in the journal.
    await g.raw(status);
    expect(a.metrics.counter('ground_commands', 'replayed').value).toBe(1);
    expect(g.replies.at(-1)).toMatchObject({ result: 'refused', why: expect.stringMatching(/^replayed/) });
    await g.run.stop();
  }, 30_000);

  it('unsigned, other-key, tampered, replayed, wrong-target and garbage packets are refused, counted and logged; the agent flies on', async () => {
    const g = await groundRig({ count: 2 });
    await g.after(3);
    const other = groundKeys();
    await g.send({ op: 'pause' });
    const accepted = await g.send({ op: 'resume' });
    await g.raw(accepted); // replayed
    await g.send({ op: 'pause' }, { key: other.privateKey }); // bad_signature
    const unsigned = packet({ op: 'pause', sat: 'SAT-1', n: 999 }, undefined);
    await g.raw(unsigned);
    await g.send({ op: 'pause' }, { sat: 'SAT-2', to: 'SAT-1' }); // signed for SAT-2, heard by SAT-1
    const tampered = Uint8Array.from(accepted);
    tampered[tampered.length - 70]! ^= 0x01; // a byte of the body
    await g.raw(tampered);
    await g.raw(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    await g.raw(new Uint8Array(0));
    expect(g.agent().isPaused).toBe(false);
    expect({
      accepted: g.count('accepted'), replayed: g.count('replayed'), bad_signature: g.count('bad_signature'), unsigned: g.count('unsigned'),
      wrong_target: g.count('wrong_target'), malformed: g.count('malformed'),
    }).toEqual({ accepted: 2, replayed: 1, bad_signature: 2, unsigned: 1, wrong_target: 1, malformed: 2 });
    const reasons = g.logged('GROUND_CMD_REFUSED').filter((l) => l.id === 'SAT-1').map((l) => l.reason);
    expect(reasons).toEqual(['replayed', 'bad_signature', 'unsigned', 'wrong_target', 'bad_signature', 'malformed', 'malformed']);
    // The swarm saw none of it (ground packets never reach the ISL codec).
    expect(g.agent().swarm?.bus).toBeDefined();
    await g.after(5);
    expect(g.run.restarts).toEqual([]);
    expect(g.agent().currentMode).toBe('nominal');
    await g.run.stop();
  }, 30_000);

  it('no ground key configured: a well-signed command is refused no_key', async () => {
    const g = await groundRig({ key: false });
    await g.after(3);
    await g.send({ op: 'pause' });
    expect(g.agent().isPaused).toBe(false);
    expect(g.count('no_key')).toBe(1);
    expect(g.logged('GROUND_CMD_REFUSED').at(-1)).toMatchObject({ reason: 'no_key' });
    await g.run.stop();
  }, 30_000);

  it('an unreadable ground key is logged (GROUND_KEY_ERROR) and commands are refused no_key', async () => {
    const g = await groundRig();
    // Reboot with the key file gone.
    rmSync(g.keys.publicPath);
    await g.run.restart('SAT-1', 'test reboot');
    await g.after(3);
    expect(g.logged('GROUND_KEY_ERROR').at(-1)).toMatchObject({ err: 'E_GROUND_KEY', why: 'missing' });
    await g.send({ op: 'pause' });
    expect(g.count('no_key')).toBe(1);
    await g.run.stop();
  }, 30_000);
});
