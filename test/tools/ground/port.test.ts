import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { RealClock, SerialLink } from '../../../hal/index.js';
import { parseScenario } from '../../../emulator/scenario/load.js';
import { serveConstellation, type ServedConstellation } from '../../../emulator/serve.js';
import { Agent } from '../../../firmware-agent/agent.js';
import { parseAgentConfig } from '../../../firmware-agent/config/load.js';
import { createLogger } from '../../../firmware-agent/observability/log.js';
import { captureIO, fswInProcess } from '../../helpers/cli.js';
import { runGround } from '../../../tools/commands/ground.js';
import { pollUntil } from '../../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../../helpers/system-tool.js';

/**
 * The console on a port, in real time, as a person runs it on a laptop: the emulator serves a
 * satellite and the ground station on socat ptys (the station under SAT-1 at t = 0, so in
 * view), an agent flies on SAT-1's pty, and `fsw ground --port` opens the station's pty.
 */
describeWithTool('socat', SOCAT_INSTALL)('fsw ground --port against fsw emulate\'s ground station', () => {
  let served: ServedConstellation | undefined;
  let agent: Agent | undefined;
  let dir = '';
  afterAll(async () => {
    await agent?.stop();
    await served?.stop();
  });

  it('prints the station line; signed commands from a script are answered by the agent; its metrics count them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ground-port-'));
    const keygen = await fswInProcess(['ground', 'keygen', '--out', dir]);
    expect(keygen.code).toBe(0);
    const lines: string[] = [];
    const scenario = parseScenario({ name: 'gs-port', duration_s: 600, constellation: { count: 1 }, ground_station: { lat_deg: 0, lon_deg: 0, elevation_mask_deg: 5 } });
    served = await serveConstellation({ scenario, ptyDir: join(dir, 'ptys'), log: (l) => void lines.push(l), handleSignals: false });
    expect(served.groundPath).toBe(join(dir, 'ptys', 'GROUND'));
    expect(lines.some((l) => /^GROUND +.*\/ptys\/GROUND {2}\(ground station: fsw ground --port /.test(l))).toBe(true);

    const clock = new RealClock();
    const config = parseAgentConfig({ ground: { public_key_file: join(dir, 'ground.pub') } });
    const link = new SerialLink({ path: served.paths.get('SAT-1')!, baudRate: 115200, clock });
    // Named only by its hardware (as `fsw agent` without --id): commands to SAT-1 are its.
    agent = new Agent({ link, clock, config, journalPath: join(dir, 'sat1.journal'), id: 'agent', log: createLogger({ id: 'agent', level: 'silent' }) });
    await agent.start();
    const a = agent;
    await pollUntil(() => a.cycle.running, 'the agent flying', 5000);

    const script = join(dir, 'pass.txt');
    writeFileSync(script, 'status SAT-1\npause SAT-1\nresume SAT-1\n');
    const r = await fswInProcess(['ground', '--port', served.groundPath!, '--key', join(dir, 'ground.key'), '--script', script, '--reply-timeout', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ground station GROUND up \(emulator ground station\); health broadcasts undecoded/);
    expect(r.stdout).toMatch(/← SAT-1 ACCEPTED status #\d+/);
    // No swarm, so no health broadcasts: the replies alone bring SAT-1 into view.
    expect(r.stdout).toMatch(/SAT-1 in view \(AOS, rssi -\d+ dBm\)/);
    expect(r.stdout).toMatch(/← SAT-1 ACCEPTED pause #\d+: pause {2}\[\w+, loop paused/);
    expect(r.stdout).toMatch(/ground: 3 sent, 3 accepted, 0 failed, 0 refused, 0 unanswered/);
    expect(a.metrics.counter('ground_commands', 'accepted').value).toBe(3);
    expect(a.isPaused).toBe(false);
    // The counter file sits beside the key and holds the last counter used.
    const last = Number(readFileSync(join(dir, 'ground.key.counter'), 'utf8'));
    expect(a.state.groundCounters.get([...a.state.groundCounters.keys()][0]!)).toBe(last);
  }, 30_000);

  it('interactive: lines from stdin; a bad line is answered with what is wrong and the console carries on; quit leaves', async () => {
    const input = new PassThrough();
    const c = captureIO();
    const done = runGround({ port: served!.groundPath!, key: join(dir, 'ground.key'), baud: 115200, summaryEvery: 60, replyTimeout: 5 }, c.io, input);
    input.write('help\nlaunch SAT-1\nstatus SAT-1\n');
    await pollUntil(() => /ACCEPTED status/.test(c.out()), 'the status reply', 5000);
    input.write('quit\n');
    await done;
    expect(c.out()).toContain('type help for the commands, quit to leave');
    expect(c.out()).toContain('cancel SAT ACTION_ID');
    expect(c.out()).toContain('? unknown command "launch" (type help)');
    expect(c.out()).toMatch(/ground: 1 sent, 1 accepted/);
    expect(agent!.metrics.counter('ground_commands', 'accepted').value).toBe(4);
  }, 30_000);
});