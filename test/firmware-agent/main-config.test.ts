import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_EXIT, main } from '../../firmware-agent/main.js';

/**
 * The board entry's configuration: a plain or unified file, FSW_AGENT__* variables over it,
 * flags over both. The port does not exist, so each run stops right after the configuration
 * (exit 3) with the effective values in its CONFIG_LOADED log line, or exits 2 on a bad one.
 */
const tmp = mkdtempSync(join(tmpdir(), 'fsw-main-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function runMain(args: string[], env: NodeJS.ProcessEnv) {
  let out = '';
  let err = '';
  const lines: string[] = [];
  const code = await main(['--port', join(tmp, 'no-such-tty'), '--journal', join(tmp, 'j.journal'), ...args], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    onSignal: () => () => {},
    logDestination: { write: (l: string) => void lines.push(l) },
    env,
  });
  const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, out, err, loaded: logs.find((l) => l.code === 'CONFIG_LOADED'), logs };
}

describe('board entry configuration: file < FSW_AGENT__ environment < flags', () => {
  it('a unified file\'s agent section, a variable over it, a flag over both', async () => {
    const cfg = join(tmp, 'fsw.yaml');
    writeFileSync(cfg, 'agent:\n  cycle_hz: 2\n  observability:\n    metrics_port: 9100\nemulator:\n  seed: 7\n');
    const r = await runMain(['--config', cfg, '--metrics-port', '9200'], { FSW_AGENT__CYCLE_HZ: '4', FSW_AGENT__OBSERVABILITY__METRICS_PORT: '9150' });
    expect(r.code).toBe(AGENT_EXIT.PORT_UNAVAILABLE);
    expect(r.loaded).toMatchObject({ source: cfg, cycle_hz: 4, metrics_port: 9200 });
  });

  it('a plain agent file still works, with the environment over it', async () => {
    const cfg = join(tmp, 'agent.json');
    writeFileSync(cfg, JSON.stringify({ cycle_hz: 2 }));
    expect((await runMain(['--config', cfg], {})).loaded).toMatchObject({ cycle_hz: 2 });
    expect((await runMain(['--config', cfg], { FSW_AGENT__CYCLE_HZ: '5' })).loaded).toMatchObject({ cycle_hz: 5 });
  });

  it('a bad variable exits 2 naming it, the field and what it allows; logged as CONFIG_INVALID', async () => {
    const r = await runMain([], { FSW_AGENT__CYCLE_HZ: '1000' });
    expect(r.code).toBe(AGENT_EXIT.USAGE);
    expect(r.err).toMatch(/- FSW_AGENT__CYCLE_HZ \(env\) → cycle_hz: .*100/);
    expect(r.logs.find((l) => l.code === 'CONFIG_INVALID')).toMatchObject({ level: 'error' });
    expect(r.loaded).toBeUndefined();
  });

  it('a unified file with a bad agent field names agent.field; an FSW_ variable of no section is a warning', async () => {
    const cfg = join(tmp, 'bad.yaml');
    writeFileSync(cfg, 'agent:\n  cycle_hz: 0\n');
    const bad = await runMain(['--config', cfg], {});
    expect(bad.code).toBe(AGENT_EXIT.USAGE);
    expect(bad.err).toContain(`${cfg}: invalid configuration`);
    expect(bad.err).toMatch(/- agent\.cycle_hz: .*0\.1/);
    const warned = await runMain([], { FSW_CYCLE_HZ: '5' });
    expect(warned.code).toBe(AGENT_EXIT.PORT_UNAVAILABLE);
    expect(warned.err).toContain('warning: ignoring FSW_CYCLE_HZ');
    expect(warned.loaded).toMatchObject({ cycle_hz: 10 });
  });
});
