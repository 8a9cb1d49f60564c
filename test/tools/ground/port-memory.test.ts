import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HardwareServer, memoryLinkPair, VirtualClock } from '../../../hal/index.js';
import { encodeReply, parseEnvelope, peekBody } from '../../../firmware-agent/ground/format.js';
import { runOnPort, type PortSessionResult } from '../../../tools/ground/session.js';
import { CommandCounter } from '../../../tools/ground/counter.js';
import { parseScript } from '../../../tools/ground/script.js';

/**
 * The console's port path (runOnPort) on an in-memory link and virtual time: a stand-in
 * ground station whose radio hears only what the test makes SAT-1 say. SAT-1 has no swarm,
 * so it sends no health broadcasts: its replies are all the station hears of it (QA's case:
 * one agent on `fsw emulate`, no AOS/LOS printed).
 */
describe('fsw ground on a port: passes from what the station hears', () => {
  let server: HardwareServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  async function session(script: string, answer: (op: string) => number | undefined, stopAtMs?: number): Promise<{ lines: string[]; result: PortSessionResult }> {
    const clock = new VirtualClock();
    const [consoleEnd, hw] = memoryLinkPair(clock, { latencyMs: 1 }, ['GROUND/console', 'GROUND/hw']);
    const station: HardwareServer = new HardwareServer({
      link: hw,
      clock,
      sat: 'GROUND',
      hw: 'test station',
      devices: [],
      push: false,
      isl: {
        transmit: (to, data) => {
          const env = parseEnvelope(data);
          const { n, op } = env.ok ? peekBody(env.value.body) : {};
          const delayMs = op ? answer(op) : undefined;
          if (n !== undefined && delayMs !== undefined) {
            clock.setTimer(delayMs, () => void station.deliverIsl(to, encodeReply({ result: 'accepted', sat: to, n, op, why: op }), -110));
          }
          return { ok: true };
        },
      },
    });
    server = station;
    await station.start();
    const lines: string[] = [];
    let done = false;
    const running = runOnPort({
      port: 'memory', baud: 115200, clock, link: consoleEnd,
      key: generateKeyPairSync('ed25519').privateKey,
      counter: new CommandCounter(join(mkdtempSync(join(tmpdir(), 'ground-mem-')), 'counter'), () => 0),
      script: parseScript(script), summaryEveryS: 0, replyTimeoutMs: 5000,
      out: (l) => void lines.push(l), stopSignal: new Promise((r) => void (stopAtMs !== undefined && clock.setTimer(stopAtMs, () => r(undefined)))),
    }).then((r) => {
      done = true;
      return r;
    });
    expect(await clock.runUntilAsync(() => done, 120_000, 100)).toBe(true);
    return { lines, result: await running };
  }

  it('a satellite first heard (by its reply) prints "in view"; silent past the LOS window, "out of view"', async () => {
    const { lines, result } = await session('status SAT-1\nat 40 help\n', () => 400);
    const aos = lines.findIndex((l) => /SAT-1 in view \(AOS, rssi -110 dBm\)/.test(l));
    const reply = lines.findIndex((l) => /← SAT-1 ACCEPTED status/.test(l));
    const los = lines.findIndex((l) => /SAT-1 out of view \(LOS, last heard 2\d s ago\)/.test(l));
    expect(aos, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(reply).toBeGreaterThan(aos);
    expect(los, lines.join('\n')).toBeGreaterThan(reply);
    // Heard at ~0.4 s, LOS once more than 20 s of silence is seen at a 5 s tick.
    expect(lines[los]).toMatch(/^\[t= +2[05]\.\d s\]/);
    expect(result.console.stats).toMatchObject({ sent: 1, accepted: 1 });
    expect(result.linesNotRun).toBe(0);
  });

  it('a reply heard again after LOS is a new pass (AOS again)', async () => {
    const { lines } = await session('status SAT-1\nat 40 status SAT-1\n', () => 400);
    expect(lines.filter((l) => /SAT-1 in view/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /SAT-1 out of view/.test(l))).toHaveLength(1);
  });

  it('counts add up: one command never answered, one answered after its 5 s timeout (an other reply, not a second count)', async () => {
    const { lines, result } = await session('status SAT-1\nat 1 pause SAT-1\nat 10 help\n', (op) => (op === 'pause' ? 7000 : undefined));
    const s = result.console.stats;
    expect(s).toMatchObject({ sent: 2, accepted: 0, unanswered: 2, pendingAtEnd: 0, otherReplies: 1 });
    expect(s.accepted + s.failed + s.refused + s.unanswered + s.pendingAtEnd).toBe(s.sent);
    expect(lines.some((l) => /← SAT-1 ACCEPTED pause #\d+: pause \(answers no waiting command: late, or another console's\)/.test(l))).toBe(true);
  });

  it('stopped (Ctrl-C) at 2 s: the command awaiting its reply is pending at end; the line not yet run is reported', async () => {
    const { lines, result } = await session('status SAT-1\nat 30 status SAT-1\n', () => undefined, 2000);
    const s = result.console.stats;
    expect(s).toMatchObject({ sent: 1, unanswered: 0, pendingAtEnd: 1 });
    expect(s.accepted + s.failed + s.refused + s.unanswered + s.pendingAtEnd).toBe(s.sent);
    expect(result.linesNotRun).toBe(1);
    expect(lines.some((l) => /1 command\(s\) still waiting for a reply at the end/.test(l))).toBe(true);
  });
});
