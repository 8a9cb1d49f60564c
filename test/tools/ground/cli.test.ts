import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fswInProcess } from '../../helpers/cli.js';
import { runCli } from '../../../tools/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fsw-ground-cli-'));

/** A key pair made by `fsw ground keygen`. */
async function keygen(): Promise<{ dir: string; key: string; pub: string }> {
  const dir = tmp();
  const r = await fswInProcess(['ground', 'keygen', '--out', dir]);
  expect(r.code).toBe(0);
  return { dir, key: join(dir, 'ground.key'), pub: join(dir, 'ground.pub') };
}

function file(name: string, text: string): string {
  const p = join(tmp(), name);
  writeFileSync(p, text);
  return p;
}

/** A scenario whose ground station sits under SAT-1 at t = 0 (SAT-1 in view for ~280 s). */
const SCENARIO = `name: ground-cli
duration_s: 60
constellation: { count: 2 }
ground_station: { lat_deg: 0, lon_deg: 0, elevation_mask_deg: 5 }
faults: []
`;

describe('fsw ground keygen', () => {
  it('writes an Ed25519 pair: the private key PKCS#8 PEM with mode 0600, the public SPKI PEM; prints the config line', async () => {
    const dir = tmp();
    const r = await fswInProcess(['ground', 'keygen', '--out', join(dir, 'keys')]);
    expect(r.code).toBe(0);
    const key = join(dir, 'keys', 'ground.key');
    const pub = join(dir, 'keys', 'ground.pub');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPrivateKey(readFileSync(key)).asymmetricKeyType).toBe('ed25519');
    expect(createPublicKey(readFileSync(pub)).asymmetricKeyType).toBe('ed25519');
    expect(r.stdout).toContain(`public_key_file: ${pub}`);
  });

  it('never overwrites a key: a failure (exit 1) saying to remove the old key or choose another --out; --out is required (exit 2)', async () => {
    const k = await keygen();
    const before = readFileSync(k.key, 'utf8');
    const again = await fswInProcess(['ground', 'keygen', '--out', k.dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ground\.key exists and a key is never overwritten: remove the old key first .* or choose another --out/);
    expect(readFileSync(k.key, 'utf8')).toBe(before);
    const none = await fswInProcess(['ground', 'keygen']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--out DIR is needed/);
  });

  it('checks --out before making anything: a file (exit 2), a missing parent (exit 2), an unknown option is named', async () => {
    const garbage = file('garbage.bin', 'x');
    const f = await fswInProcess(['ground', 'keygen', '--out', garbage]);
    expect(f.stderr).toMatch(/--out .*garbage\.bin: exists and is not a directory/);
    expect(f.code).toBe(2);
    const deep = join(tmp(), 'no', 'such', 'keys');
    const d = await fswInProcess(['ground', 'keygen', '--out', deep]);
    expect(d.stderr).toMatch(/its parent .*no\/such does not exist/);
    expect(d.code).toBe(2);
    expect(existsSync(join(deep, '..'))).toBe(false);
    const bogus = await fswInProcess(['ground', 'keygen', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown option '--bogus'/);
  });

  it.runIf(existsSync('/proc/self'))('--out under /proc ends (node\'s recursive mkdir spins there) with a clear message, not a hang', async () => {
    const r = await fswInProcess(['ground', 'keygen', '--out', '/proc/nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\/proc\/nope/);
  }, 5000);
});

describe('fsw ground: help and bad usage', () => {
  it('--help lists the options, the console commands and the exit codes', async () => {
    const r = await fswInProcess(['ground', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--port <path>', '--scenario <name>', '--key <file>', '--script <file>', 'keygen', 'cancel SAT ACTION_ID', 'mode SAT MODE', 'propose SAT ACTION', 'Exit status']) expect(r.stdout).toContain(s);
    const keygenHelp = (await fswInProcess(['ground', 'keygen', '--help'])).stdout;
    for (const s of ['--out <dir>', 'Examples:', 'fsw ground keygen --out ~/.fsw', 'Exit status: 0', 'remove the old key or choose another --out']) expect(keygenHelp).toContain(s);
    expect((await fswInProcess(['--help'])).stdout).toMatch(/ground \[options\]\s+ground console/);
  });

  const usage = async (args: string[], why: RegExp) => {
    const r = await fswInProcess(['ground', ...args]);
    expect(r.stderr).toMatch(why);
    expect(r.code).toBe(2);
  };

  it('neither --port nor --scenario, or both', async () => {
    await usage([], /give --port PATH .* or --scenario NAME/);
    await usage(['--port', '/dev/null', '--scenario', 'nominal'], /--port and --scenario do not go together/);
  });

  it('--port without --key; an unreadable key; a public key passed as --key', async () => {
    await usage(['--port', '/tmp/x'], /--key FILE is needed/);
    await usage(['--port', '/tmp/x', '--key', join(tmp(), 'missing.key')], /--key: ground key file .*missing\.key: no such file/);
    const k = await keygen();
    await usage(['--port', '/tmp/x', '--key', k.pub], /--key: ground key file .*is not a PEM private key/);
    await usage(['--port', '/tmp/x', '--key', file('junk.key', 'hello\n')], /is not a PEM private key/);
  });

  it('an unknown command line in the script, naming the line; an unreadable script', async () => {
    const k = await keygen();
    await usage(['--port', '/tmp/x', '--key', k.key, '--script', file('s.txt', 'pause SAT-1\nlaunch SAT-1\n')], /--script .*s\.txt: line 2: unknown command "launch"/);
    await usage(['--port', '/tmp/x', '--key', k.key, '--script', join(tmp(), 'none.txt')], /--script .*none\.txt: cannot be read \(ENOENT\)/);
  });

  it('--constellation-key without --members; a bad value; a scenario without a ground station; an unreadable counter file', async () => {
    const k = await keygen();
    await usage(['--port', '/tmp/x', '--key', k.key, '--constellation-key', k.pub], /--constellation-key needs --members/);
    await usage(['--port', '/tmp/x', '--key', k.key, '--reply-timeout', '0'], /--reply-timeout.*must be a number of seconds > 0/);
    await usage(['--scenario', file('no-gs.yaml', 'name: no-gs\nconstellation: { count: 1 }\n')], /has no ground_station/);
    await usage(['--port', '/tmp/x', '--key', k.key, '--counter-file', file('c', 'x\n')], /ground counter file .* does not hold a counter/);
  });

  it('--work-dir that is a file is bad usage naming it (was EEXIST, exit 1); under /proc it ends, not spins', async () => {
    const gs = file('gs.yaml', SCENARIO);
    const blocker = file('not-a-dir', 'x');
    await usage(['--scenario', gs, '--duration', '10', '--work-dir', blocker], /--work-dir .*not-a-dir: exists and is not a directory/);
    if (existsSync('/proc/self')) await usage(['--scenario', gs, '--duration', '10', '--work-dir', '/proc/fsw-nope/x'], /--work-dir \/proc\/fsw-nope\/x: cannot create \/proc\/fsw-nope/);
  }, 5000);

  it('a script line after the end of the run, or out of order, is refused before the run (exit 2, naming the line)', async () => {
    const gs = file('gs.yaml', SCENARIO);
    await usage(['--scenario', gs, '--sats', '2', '--duration', '60', '--script', file('late.txt', 'at 30 status SAT-1\nat 500 status SAT-1\n')], /late\.txt: line 2: "at 500" is not before the end of the run \(60 s/);
    // QA's script: both at once; the order is checked first.
    await usage(['--scenario', gs, '--sats', '2', '--duration', '60', '--script', file('qa.txt', 'at 500 status SAT-1\nat 30 status SAT-1\n')], /qa\.txt: line 2: "at 30" is earlier than line 1's "at 500"/);
    await usage(['--scenario', gs, '--sats', '2', '--duration', '60', '--script', file('ooo.txt', 'at 50 status SAT-1\nat 30 status SAT-1\n')], /ooo\.txt: line 2: "at 30" is earlier than line 1's "at 50"/);
  });

  it('a port that will not open is a failure (exit 1)', async () => {
    const k = await keygen();
    const r = await fswInProcess(['ground', '--port', join(tmp(), 'no-such-tty'), '--key', k.key, '--script', file('s.txt', 'status SAT-1\n')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open .*no-such-tty/);
  });
});

describe('fsw ground --scenario: the console in a run', () => {
  it('sends the script at its virtual times; the satellites answer through the radio; health is decoded; counts are summed up', async () => {
    const script = file('pass.txt', [
      'at 5 status SAT-1',
      'at 6 pause SAT-1',
      'at 8 mode SAT-2 safe "cli test"',
      'at 10 resume SAT-1',
      'at 12 cancel SAT-1 no-such-action',
      'at 14 propose SAT-1 payload_off',
    ].join('\n'));
    const r = await fswInProcess(['ground', '--scenario', file('gs.yaml', SCENARIO), '--script', script, '--duration', '40', '--summary-every', '20']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/no --key: made a ground key pair for this run/);
    expect(out).toMatch(/\[t= +5\.0 s\] → SAT-1 status \(#\d+, \d+ bytes\)/);
    expect(out).toMatch(/← SAT-1 ACCEPTED pause #\d+: pause {2}\[nominal, loop paused, boots 1, running: none\]/);
    expect(out).toMatch(/← SAT-2 ACCEPTED mode #\d+: mode safe {2}\[safe,/);
    expect(out).toMatch(/← SAT-1 FAILED cancel #\d+: no_such_action: no action no-such-action is running/);
    // Two satellites: propose goes to consensus if SAT-1 leads, else it says who does.
    expect(out).toMatch(/← SAT-1 (ACCEPTED propose #\d+: proposed payload_off|FAILED propose #\d+: not_leader)/);
    expect(out).toMatch(/SAT-1 in view \(AOS, rssi -\d+ dBm\)/);
    expect(out).toMatch(/SAT-2 mode nominal → safe/); // seen in its health broadcasts
    expect(out).toMatch(/ground: 6 sent, \d accepted, \d failed, 0 refused, 0 unanswered/);
    expect(out).toMatch(/SAT-1 ground_commands: accepted \d, failed \d/);
  }, 60_000);

  it('the summary counts every sent command once: one still waiting for its reply when the run ends is pending at end', async () => {
    // A --work-dir not there yet (two levels) is made, keys and all.
    const work = join(tmp(), 'new', 'work');
    const r = await fswInProcess(['ground', '--scenario', file('gs.yaml', SCENARIO), '--script', file('end.txt', 'at 5 status SAT-1\nat 19.9 status SAT-1\n'), '--duration', '20', '--work-dir', work]);
    expect(existsSync(join(work, 'keys', 'ground.key'))).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /ground: (\d+) sent, (\d+) accepted, (\d+) failed, (\d+) refused, (\d+) unanswered, (\d+) pending at end\n/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [sent, ...parts] = m!.slice(1).map(Number);
    expect(sent).toBe(2);
    expect(parts).toEqual([1, 0, 0, 0, 1]);
  }, 60_000);

  it('stopped (Ctrl-C) with script lines not yet run: says so and exits 1', async () => {
    let out = '';
    let err = '';
    let signal: ((s: NodeJS.Signals) => void) | undefined;
    const io = {
      out: (t: string) => {
        out += t;
        // Ctrl-C as soon as the first command goes out.
        if (t.includes('→ SAT-1 status')) signal?.('SIGINT');
      },
      err: (t: string) => void (err += t),
      onSignal: (fn: (s: NodeJS.Signals) => void) => {
        signal = fn;
        return () => (signal = undefined);
      },
    };
    const script = file('two.txt', 'at 5 status SAT-1\nat 10 pause SAT-1\nat 12 resume SAT-1\n');
    const code = await runCli(['ground', '--scenario', file('gs.yaml', SCENARIO), '--script', script, '--duration', '30'], io);
    expect(err).toMatch(/fsw ground: the script did not all go out: 2 script line\(s\) never ran \(stopped first\)/);
    expect(code).toBe(1);
    expect(out).toMatch(/ground: 1 sent, /);
  }, 60_000);
});
