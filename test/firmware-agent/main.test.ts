import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_EXIT, DEFAULT_RECORD_MAX_BYTES, main, type MainIO } from '../../firmware-agent/main.js';
import { Endpoint, RealClock, SerialLink, type Message } from '../../hal/index.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { disposeAllPtyPairs, pollUntil, startPtyPair, type PtyPair } from '../helpers/pty.js';
import { describeWithTool, SOCAT_INSTALL } from '../helpers/system-tool.js';
import { freePort, fswInProcess } from '../helpers/cli.js';

/**
 * The board entry point `firmware-agent/main.ts`: its exit statuses (0 clean stop, 1 runtime
 * failure, 2 bad usage, 3 port cannot be opened, 75 hardware reset), its messages (stderr for
 * people, only JSON log lines on stdout), and `fsw agent`, which delegates to the same `main`.
 * The built JS runs as a child process for the cases a board meets first (help, a bad flag,
 * a missing port); the rest call `main()` in process. The pty cases face a scripted hardware
 * end (hal's Endpoint on the other side of a socat pair), so each status has a precise cause.
 */

const MAIN_JS = join(ROOT, 'dist/firmware-agent/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'agent-main-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type LogLine = Record<string, unknown> & { code?: string; id?: string; level?: string };

interface Built {
  code: number | null;
  stdout: string;
  stderr: string;
}
function runBuilt(args: string[], timeoutMs = 10_000): Promise<Built> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main.js ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `main()` in process, with its output captured and the signal in the test's hand. */
function startMain(args: string[]) {
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let signal: ((s: NodeJS.Signals) => void) | undefined;
  const io: MainIO = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    onSignal: (fn) => {
      signal = fn;
      return () => (signal = undefined);
    },
    logDestination: {
      write: (s: string) => {
        for (const line of s.split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      },
    },
  };
  let exitCode: number | undefined;
  const done = main(args, io).then((c) => (exitCode = c));
  return {
    done,
    logs,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    get exitCode() {
      return exitCode;
    },
    signal: (s: NodeJS.Signals = 'SIGTERM') => {
      if (!signal) throw new Error('main is not listening for signals');
      signal(s);
    },
    async logged(code: string, limitMs = 5000): Promise<LogLine> {
      await pollUntil(() => logs.some((l) => l.code === code) || exitCode !== undefined, `main logs ${code}`, limitMs);
      const l = logs.find((x) => x.code === code);
      if (!l) throw new Error(`main exited (${exitCode}) without logging ${code}:\n${err}\n${logs.map((x) => JSON.stringify(x)).join('\n')}`);
      return l;
    },
  };
}

async function runMain(args: string[]) {
  const m = startMain(args);
  const code = await m.done;
  return { code, out: m.out, err: m.err, logs: m.logs };
}

describe('firmware-agent/main.js (built, as a board runs it)', () => {
  beforeAll(ensureBuilt, 120_000);

  it('--help exits 0: usage, every option, the exit statuses on stdout; nothing on stderr', async () => {
    const r = await runBuilt(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: node dist\/firmware-agent\/main\.js --port PATH/);
    for (const opt of ['--port PATH', '--baud N', '--id SAT-ID', '--config FILE', '--journal FILE', '--log-level LEVEL', '--metrics-port N', '--help', '--version']) {
      expect(r.stdout).toContain(opt);
    }
    for (const status of ['0   stopped on SIGINT or SIGTERM', '1   runtime failure', '2   bad usage', '3   the serial port could not be opened', '75  the hardware reset']) {
      expect(r.stdout).toContain(status);
    }
    expect(r.stdout).toContain('fsw emulate nominal --sats 1');
  });

  it('a port path that does not exist exits 3, naming the path and E_LINK_OPEN on stderr; stdout holds only JSON log lines', async () => {
    const port = join(tmp, 'no-such-tty');
    const journal = join(tmp, 'built.journal');
    const r = await runBuilt(['--port', port, '--journal', journal]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot open serial port ${port}`);
    expect(r.stderr).toContain('E_LINK_OPEN');
    const lines = r.stdout.split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l), `stdout line is not JSON: ${l}`).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as LogLine).code)).toEqual(['CONFIG_LOADED', 'HAL_ERROR']);
    expect(existsSync(journal), 'the journal is not touched before the port opens').toBe(false);
  });

  it('an unknown flag exits 2 naming it, with nothing on stdout', async () => {
    const r = await runBuilt(['--port', '/dev/null', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
    expect(r.stderr).toContain('--help');
    expect(r.stdout).toBe('');
  });
});

describe('what main.ts needs on a board', () => {
  /** Every module main.ts loads (static imports and import()), following our own files. */
  function closure(entry: string): { files: Set<string>; bare: Map<string, string> } {
    const files = new Set<string>();
    const bare = new Map<string, string>(); // specifier → first file importing it
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      const src = readFileSync(file, 'utf8');
      // `import type` and `export type` vanish at build time; everything else is loaded.
      const specs = [
        ...src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm),
        ...src.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...src.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const spec of specs) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (!bare.has(spec)) bare.set(spec, relative(ROOT, file));
      }
    };
    visit(join(ROOT, 'firmware-agent/main.ts'));
    return { files, bare };
  }

  it('loads only hal/ and firmware-agent/, node builtins and runtime dependencies (no dev dependency, emulator or tools)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const { files, bare } = closure(join(ROOT, 'firmware-agent/main.ts'));
    for (const f of files) expect(relative(ROOT, f), 'a module main.ts loads').toMatch(/^(hal|firmware-agent)\//);
    for (const [spec, from] of bare) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      expect(spec.startsWith('node:') || Object.hasOwn(pkg.dependencies, name), `${from} imports ${spec}: not a node builtin or a runtime dependency`).toBe(true);
    }
    expect(bare.has('commander'), 'argument parsing is node:util parseArgs').toBe(false);
    // zod stays with the emulator's scenario schema: the config is checked by config/spec.ts (RSS).
    expect(bare.has('zod'), `config validation is firmware-agent/config/spec.ts, not zod (imported by ${bare.get('zod')})`).toBe(false);
  });
});

describe('main() in process: usage', () => {
  it('--help and -h exit 0 with the usage on out; --version prints the software version', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runMain([flag]);
      expect(r.code).toBe(AGENT_EXIT.OK);
      expect(r.out).toContain('Usage:');
      expect(r.err).toBe('');
    }
    const v = await runMain(['--version']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^fsw-agent\/\d+\.\d+\.\d+\n$/);
  });

  it('--help fits 80 columns, counted in characters (the en dash is 1, not 3 bytes)', async () => {
    const r = await runMain(['--help']);
    const wide = r.out.split('\n').filter((line) => [...line].length > 80);
    expect(wide).toEqual([]);
    // Every option is still there after the rewrap, each with its default.
    for (const opt of ['--record FILE', '--record-max-bytes N', `(default ${DEFAULT_RECORD_MAX_BYTES})`, '15–21 MiB', 'FSW_AGENT__CYCLE_HZ=5']) expect(r.out).toContain(opt);
  });

  it('without --port exits 2 saying it is required', async () => {
    const r = await runMain(['--baud', '9600']);
    expect(r.code).toBe(AGENT_EXIT.USAGE);
    expect(r.err).toContain("required option '--port <path>' not specified");
    expect(r.logs).toEqual([]);
  });

  it.each([
    [['--port', 'x', '--frob'], "unknown option '--frob'"],
    [['--port', 'x', 'extra'], "unexpected argument: 'extra'"],
    [['--port'], "option '--port <value>' argument missing"],
    [['--port', ''], "option '--port' needs a non-empty value"],
    [['--port', 'x', '--baud', 'fast'], "option '--baud' argument 'fast' is invalid: must be an integer from 50 to 4000000"],
    [['--port', 'x', '--baud', '10'], 'must be an integer from 50 to 4000000'],
    [['--port', 'x', '--metrics-port', '70000'], "option '--metrics-port' argument '70000' is invalid: must be an integer from 0 to 65535"],
    [['--port', 'x', '--log-level', 'loud'], "option '--log-level' argument 'loud' is invalid: must be one of fatal, error, warn, info, debug, trace, silent"],
  ])('%j exits 2: %s', async (args, message) => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('an invalid config file exits 2 naming each bad field (cycle_hz) on stderr, and logs CONFIG_INVALID', async () => {
    const cfg = join(tmp, 'bad.yaml');
    writeFileSync(cfg, 'cycle_hz: 1000\nactions:\n  verify_timeout_ms: 1\n');
    const r = await runMain(['--port', join(tmp, 'never-opened'), '--config', cfg]);
    expect(r.code).toBe(AGENT_EXIT.USAGE);
    expect(r.err).toContain(`${cfg}: invalid configuration`);
    expect(r.err).toMatch(/- cycle_hz: .*100/);
    expect(r.err).toContain('- actions.verify_timeout_ms:');
    const invalid = r.logs.find((l) => l.code === 'CONFIG_INVALID');
    expect(invalid).toMatchObject({ level: 'error', source: cfg });
    expect(String((invalid!.issues as string[])[0])).toContain('cycle_hz');
  });

  it('a config file that cannot be read, or a field the schema does not know, exits 2', async () => {
    const missing = await runMain(['--port', 'x', '--config', join(tmp, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read');
    const cfg = join(tmp, 'typo.json');
    writeFileSync(cfg, JSON.stringify({ cycle_hertz: 5 }));
    const typo = await runMain(['--port', 'x', '--config', cfg]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('cycle_hertz');
  });

  it('a missing port exits 3 naming the path and E_LINK_OPEN, without creating the journal', async () => {
    const port = join(tmp, 'ttyGONE');
    const journal = join(tmp, 'inproc.journal');
    const r = await runMain(['--port', port, '--journal', journal]);
    expect(r.code).toBe(AGENT_EXIT.PORT_UNAVAILABLE);
    expect(r.err).toContain(`cannot open serial port ${port}: E_LINK_OPEN`);
    expect(r.logs.find((l) => l.code === 'HAL_ERROR')).toMatchObject({ level: 'error', err: 'E_LINK_OPEN', port });
    expect(existsSync(journal)).toBe(false);
  });
});

/** The hardware side of a pty pair, scripted: answers hello as `sat`, and can say `reset`. */
async function scriptedHardware(path: string, opts: { sat?: string; resetBeforeFirstHello?: boolean } = {}) {
  const clock = new RealClock();
  const link = new SerialLink({ path, clock, name: 'script/hw', backoff: { initialMs: 50, maxMs: 200 } });
  const ep = new Endpoint(link, clock);
  const seen: Message[] = [];
  let hellos = 0;
  ep.on('message', (m) => {
    seen.push(m);
    if (m.kind !== 'hello' || m.role !== 'fc') return;
    // What a pty can hold for a fresh process: the reset meant for the run before it.
    if (opts.resetBeforeFirstHello && hellos === 0) ep.send({ kind: 'event', code: 'reset', msg: 'watchdog' });
    hellos++;
    ep.send({ kind: 'hello', role: 'hw', sat: opts.sat ?? 'SAT-7', hw: 'script', devices: [], watchdog_ms: 60_000 });
  });
  await link.open();
  return {
    ep,
    seen,
    get hellos() {
      return hellos;
    },
    close: () => link.close(),
  };
}


describeWithTool('socat', SOCAT_INSTALL)('main() in process on a pty, against a scripted hardware end', () => {
  let pty: PtyPair;
  const closers: (() => Promise<void>)[] = [];
  const running: ReturnType<typeof startMain>[] = [];
  beforeAll(async () => {
    pty = await startPtyPair();
  });
  afterEach(async () => {
    for (const m of running.splice(0)) {
      if (m.exitCode === undefined) {
        try {
          m.signal('SIGTERM');
        } catch {
          // not listening any more
        }
        await m.done;
      }
    }
    for (const c of closers.splice(0)) await c();
  });
  afterAll(disposeAllPtyPairs);

  it('learns its id from the hello, serves --metrics-port, and stops on SIGTERM with exit 0', async () => {
    const hw = await scriptedHardware(pty.hwPath, { sat: 'SAT-7' });
    closers.push(hw.close);
    const port = await freePort();
    const journal = join(tmp, 'run.journal');
    const m = startMain(['--port', pty.fcPath, '--journal', journal, '--metrics-port', String(port)]);
    running.push(m);
    const hello = await m.logged('HAL_HELLO');
    expect(hello).toMatchObject({ sat: 'SAT-7', id: 'agent' });
    expect(m.logs.find((l) => l.code === 'METRICS_SERVING')).toMatchObject({ host: '127.0.0.1', port });

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# TYPE agent_/m);

    m.signal('SIGTERM');
    expect(await m.done).toBe(AGENT_EXIT.OK);
    expect(m.logs.at(-1)).toMatchObject({ code: 'AGENT_STOP', reason: 'SIGTERM', id: 'SAT-7' });
    expect(m.err).toBe('');
    expect(readFileSync(journal).subarray(0, 6).toString('latin1')).toBe('CAJRNL');
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(); // closed with the agent
  });

  it('a hardware reset (event reset after the handshake) exits 75', async () => {
    const hw = await scriptedHardware(pty.hwPath);
    closers.push(hw.close);
    const m = startMain(['--port', pty.fcPath, '--journal', join(tmp, 'reset.journal'), '--id', 'SAT-7']);
    running.push(m);
    await m.logged('HAL_HELLO');
    hw.ep.send({ kind: 'event', code: 'reset', msg: 'watchdog' });
    expect(await m.done).toBe(AGENT_EXIT.HARDWARE_RESET);
    expect(m.logs.at(-1)).toMatchObject({ code: 'AGENT_STOP', reason: 'hardware reset: watchdog' });
  });

  it('a reset that reaches a fresh process before its first hello is answered is stale: it runs on', async () => {
    const hw = await scriptedHardware(pty.hwPath, { resetBeforeFirstHello: true });
    closers.push(hw.close);
    const m = startMain(['--port', pty.fcPath, '--journal', join(tmp, 'stale.journal')]);
    running.push(m);
    await m.logged('HAL_HELLO');
    await pollUntil(() => m.logs.some((l) => l.code === 'HAL_ERROR' && String(l.detail).includes('before our first hello')), 'the stale reset is reported');
    await new Promise((r) => setTimeout(r, 300));
    expect(m.exitCode).toBeUndefined();
    m.signal('SIGINT');
    expect(await m.done).toBe(AGENT_EXIT.OK);
  });

  it('a journal file that is not a journal exits 1 naming E_JOURNAL_FORMAT, and is left untouched', async () => {
    const hw = await scriptedHardware(pty.hwPath);
    closers.push(hw.close);
    const journal = join(tmp, 'not-a-journal');
    writeFileSync(journal, 'precious data\n');
    const r = await runMain(['--port', pty.fcPath, '--journal', journal]);
    expect(r.code).toBe(AGENT_EXIT.FAILURE);
    expect(r.err).toContain('E_JOURNAL_FORMAT');
    expect(r.logs.find((l) => l.code === 'JOURNAL_ERROR')).toMatchObject({ level: 'error', err: 'E_JOURNAL_FORMAT' });
    expect(readFileSync(journal, 'utf8')).toBe('precious data\n');
  });

  it('a port another process holds open exits 3 (busy)', async () => {
    const clock = new RealClock();
    const holder = new SerialLink({ path: pty.fcPath, clock, name: 'holder' });
    await holder.open();
    closers.push(() => holder.close());
    const r = await runMain(['--port', pty.fcPath, '--journal', join(tmp, 'busy.journal')]);
    expect(r.code).toBe(AGENT_EXIT.PORT_UNAVAILABLE);
    expect(r.err).toContain(`cannot open serial port ${pty.fcPath}: E_LINK_OPEN`);
    expect(r.err).toMatch(/busy|lock/i);
  });
});

describe('fsw agent (runCli in process: the same main behind commander)', () => {
  const cli = fswInProcess;

  it('agent --help documents every option with its default, the exit statuses, and an example against fsw emulate', async () => {
    const r = await cli(['agent', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: fsw agent [options]');
    for (const opt of ['--port <path>', '--baud <n>', '--id <sat-id>', '--config <file>', '--journal <file>', '--log-level <level>', '--metrics-port <n>']) {
      expect(r.stdout).toContain(opt);
    }
    const flat = r.stdout.replace(/\s+/g, ' '); // commander wraps the option help to the terminal width
    expect(flat).toContain('(default: 115200)');
    expect(flat).toContain('(default: "./agent.journal")');
    expect(flat).toContain('"fatal", "error", "warn", "info", "debug", "trace", "silent"');
    for (const status of ['0   stopped on SIGINT', '1   runtime failure', '2   bad usage', '3   the serial port', '75  the hardware reset']) expect(r.stdout).toContain(status);
    expect(r.stdout).toContain('fsw emulate nominal --sats 1 --pty-dir /tmp/sats');
    expect(r.stdout).toContain('fsw agent --port /tmp/sats/SAT-1');
  });

  it('fsw --help lists agent', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toMatch(/^\s+agent \[options\]\s+run one agent/m);
  });

  it('agent without --port, or with a bad value, exits 2', async () => {
    const r = await cli(['agent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--port <path>' not specified");
    const b = await cli(['agent', '--port', 'x', '--baud', 'fast']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("option '--baud <n>' argument 'fast' is invalid");
  });

  it('agent with an invalid config exits 2, the issue naming the field once', async () => {
    const cfg = join(tmp, 'cli-bad.yaml');
    writeFileSync(cfg, 'cycle_hz: 0\n');
    const r = await cli(['agent', '--port', join(tmp, 'never'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr.match(/cycle_hz/g)).toHaveLength(1);
    expect(r.stderr).toContain('fsw agent: error:');
  });

  it('agent on a missing port prints main\'s message and exits with the agent\'s own status 3', async () => {
    const port = join(tmp, 'cli-no-tty');
    const r = await cli(['agent', '--port', port, '--journal', join(tmp, 'cli.journal')]);
    expect(r.stderr).toContain(`fsw agent: cannot open serial port ${port}: E_LINK_OPEN`);
    expect(r.stderr).toContain('agent status 3');
    expect(r.code).toBe(3);
    // JSON log lines went to the CLI's out, as on stdout.
    expect(r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as LogLine).code)).toEqual(['CONFIG_LOADED', 'HAL_ERROR']);
  });
});
