import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BenchUsageError, parseBenchArgs } from '../../../tools/bench/index.js';
import { CLI, ROOT, ensureBuilt } from '../../helpers/build.js';
import { fswInProcess as fsw } from '../../helpers/cli.js';

describe('fsw bench (in process: nothing is measured)', () => {
  it('--list lists every benchmark as area-name with its module', async () => {
    const r = await fsw(['bench', '--list']);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n').map((l) => l.split(' ')[0]);
    expect(ids).toEqual(expect.arrayContaining(['hal-codec', 'agent-rss', 'emulator-throughput', 'swarm-failover']));
    expect(r.stdout).toContain('(module hal)');
  });

  it('--only naming nothing exits 2 and lists the known names', async () => {
    const r = await fsw(['bench', '--only', 'no-such-bench', '--quick']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing matches --only no-such-bench');
    expect(r.stderr).toContain('hal-codec');
  });

  it('bad usage exits 2: an unknown option, --only without a value or with an empty entry', async () => {
    for (const args of [['bench', '--fast'], ['bench', '--only'], ['bench', '--only', 'hal,,agent']]) {
      const r = await fsw(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});

describe('the shared argument parser (npm run bench)', () => {
  it('parses --only lists (repeated and =), --quick, --long, --list; BENCH_LONG=1 means --long', () => {
    expect(parseBenchArgs(['--only', 'hal,agent-rss', '--only=swarm', '--quick'])).toEqual({ only: ['hal', 'agent-rss', 'swarm'], quick: true, long: false, list: false });
    expect(parseBenchArgs(['--help'])).toBe('help');
    vi.stubEnv('BENCH_LONG', '1');
    expect(parseBenchArgs([])).toMatchObject({ long: true });
    vi.unstubAllEnvs();
    expect(() => parseBenchArgs(['--only'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--frob'])).toThrow(/unknown argument --frob/);
  });
});

describe('both entry points, built', () => {
  beforeAll(ensureBuilt, 120_000);
  it('node dist/tools/bench/index.js --list and fsw bench --list print the same list', () => {
    const direct = spawnSync(process.execPath, [join(ROOT, 'dist/tools/bench/index.js'), '--list'], { cwd: ROOT, encoding: 'utf8' });
    const viaFsw = spawnSync(process.execPath, [CLI, 'bench', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(direct.status).toBe(0);
    expect(viaFsw.status).toBe(0);
    expect(direct.stdout.split('\n').length).toBeGreaterThan(5);
    expect(viaFsw.stdout).toBe(direct.stdout);
    // bad arguments: 2 from both
    expect(spawnSync(process.execPath, [join(ROOT, 'dist/tools/bench/index.js'), '--frob'], { cwd: ROOT }).status).toBe(2);
    expect(spawnSync(process.execPath, [CLI, 'bench', '--frob'], { cwd: ROOT }).status).toBe(2);
  });
});
