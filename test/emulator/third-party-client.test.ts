import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { resolveScenario, parseScenario } from '../../emulator/scenario/load.js';
import { serveConstellation, type ServedConstellation } from '../../emulator/serve.js';
import { describeWithTool, needTool, SOCAT_INSTALL } from '../helpers/system-tool.js';

/**
 * PROTOCOL.md is enough to talk to our hardware: a Python client written from that page
 * alone (pyserial + cbor2 + zlib, no code of ours) talks to a satellite served on a socat pty
 * the way `fsw emulate` serves it (serveConstellation, in process here), and every check of
 * its summary holds: handshake, read, cmd/ack, a bad-CRC frame dropped silently, a
 * schema-breaking frame answered with `error` code `schema`, an unknown kind with `kind`,
 * every frame plain CBOR.
 */

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(here, 'third_party_client.py');
const PY_INSTALL = 'sudo apt-get install -y python3-serial python3-cbor2';

/** A Python 3 that has pyserial and cbor2: Debian's first (where apt installs them). */
function findPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import serial, cbor2'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = findPython();
const pythonOk = needTool('python3 with pyserial and cbor2 (python3-serial, python3-cbor2)', PY_INSTALL, { present: python !== undefined });

interface Summary {
  ok: boolean;
  checks: Record<string, boolean>;
  sat: string;
  hw: string;
  watchdog_ms: number;
  devices: string[];
  thermal: Record<string, number>;
  schema_error: { ref: number; code: string; msg: string } | null;
  frames_received: number;
  rx_drops: Record<string, number>;
  error?: string;
}

function runClient(path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python!, [SCRIPT, path, '--timeout', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let served: ServedConstellation | undefined;
afterAll(async () => {
  await served?.stop();
});

describeWithTool('socat', SOCAT_INSTALL).skipIf(!pythonOk)('a third-party client written from PROTOCOL.md alone', () => {
  it('imports nothing of ours', () => {
    const src = readFileSync(SCRIPT, 'utf8');
    const imports = [...src.matchAll(/^\s*(?:import|from)\s+([\w.]+)/gm)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(['json', 'struct', 'sys', 'time', 'zlib', 'cbor2', 'serial']));
  });

  it('talks to a satellite served on a pty: hello, read, cmd, bad CRC dropped, bad schema answered', async () => {
    const nominal = resolveScenario('nominal');
    const lines: string[] = [];
    served = await serveConstellation({
      scenario: parseScenario({ ...nominal, constellation: { ...nominal.constellation, count: 1 } }),
      log: (l) => lines.push(l),
      handleSignals: false,
    });
    const path = served.paths.get('SAT-1')!;
    expect(lines.join('\n')).toMatch(new RegExp(`SAT-1\\s+${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const r = await runClient(path);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    let summary: Summary;
    try {
      summary = JSON.parse(last) as Summary;
    } catch {
      throw new Error(`no JSON summary from the client (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const failed = Object.entries(summary.checks).filter(([, v]) => !v).map(([k]) => k);
    expect(failed, JSON.stringify(summary, null, 2)).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(Object.keys(summary.checks)).toEqual([
      'hello', 'hello_fields', 'devices_of_section_4', 'read_thermal', 'cmd_heater_ack', 'bad_crc_not_answered',
      'schema_error', 'unknown_kind_error', 'heater_reads_back_on', 'all_frames_plain_cbor', 'all_frames_common_fields', 'no_framing_drops',
    ]);
    expect(summary).toMatchObject({ sat: 'SAT-1', hw: 'emulator', watchdog_ms: 2000 });
    expect(Object.keys(summary.thermal).sort()).toEqual(['battery', 'obc', 'payload', 'radio']);
    expect(summary.schema_error).toMatchObject({ code: 'schema' });
    expect(summary.schema_error!.msg).toContain('dev');

    // The hardware side counted what it dropped, by reason (PROTOCOL.md §1).
    const server = served.constellation.byId('SAT-1')!.server;
    expect(server.endpoint.drops.crc).toBe(1);
    expect(server.endpoint.drops.schema).toBeGreaterThanOrEqual(1);
    expect(lines).toContain('SAT-1: flight computer said hello (sw third-party-py/1)');

    const socats = served.socatPids();
    expect(socats).toHaveLength(2); // the satellite and nominal's ground station
    await served.stop();
    for (const pid of socats) expect(() => process.kill(pid, 0)).toThrow();
  });
});
