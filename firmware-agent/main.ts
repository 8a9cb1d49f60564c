#!/usr/bin/env -S node --max-semi-space-size=1 --lite-mode --no-expose-wasm
/**
 * The board entry point: ONE agent on a real serial port (a UART, a USB-CDC adapter, or a
 * pseudo-terminal served by `fsw emulate`), on a real-time clock.
 *
 *   node --max-semi-space-size=1 --lite-mode --no-expose-wasm dist/firmware-agent/main.js --port /dev/serial0 --config /etc/fsw/agent.yaml --journal /var/lib/fsw/agent.journal
 *
 * or the file itself (`chmod +x`), whose first line gives node the same flags. They are the
 * board's memory settings (peak RSS ≤ 60 MB, measured by `npm run bench -- --only agent-rss`):
 * a 1 MB young generation, and V8 without its compilers to machine code (the decision step
 * stays well inside its 1 ms budget interpreted); --no-expose-wasm only silences lite mode's
 * warning that it turns WebAssembly off. Plain `node main.js` works too, with ~15 MB more.
 *
 * It runs on a board without dev dependencies, the emulator or tools/: it imports only hal/,
 * firmware-agent/, node builtins and runtime dependencies, and parses its arguments with
 * `node:util` parseArgs. The heavy modules (serialport, xstate, cbor-x, pino) load only after
 * the arguments are good, so `--help` answers at once even on a small board.
 *
 * stdout carries JSON log lines only (pipe it to jq, journald, a file); anything meant for a
 * person (usage errors, a port that will not open) goes to stderr. Exit statuses are a
 * contract with the supervisor (systemd `Restart=always`): see EXIT_STATUS_HELP.
 */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DestinationStream } from 'pino';
import type { Clock, Link } from '../hal/index.js';
import type { AgentConfig } from './config/schema.js';
import { isEntryPoint, processIO } from './entry.js';
import { isJournalError } from './journal/errors.js';
import type { AgentLogger, LogFields, LogLevel, EventCode } from './observability/log.js';

/** Exit statuses of the board process (documented in --help; `fsw agent` uses the same). */
export const AGENT_EXIT = {
  /** Stopped on SIGINT/SIGTERM after a clean `agent.stop()`, or --help / --version. */
  OK: 0,
  /** Runtime failure: the journal cannot be opened (E_JOURNAL_*), an unexpected error. */
  FAILURE: 1,
  /** Bad usage: unknown option, missing --port, invalid value, invalid configuration file. */
  USAGE: 2,
  /** The serial port could not be opened at start (E_LINK_OPEN: missing, busy, no permission). */
  PORT_UNAVAILABLE: 3,
  /** The hardware reset the flight computer (its watchdog fired): restart the process. (EX_TEMPFAIL) */
  HARDWARE_RESET: 75,
} as const;
export type AgentExitCode = (typeof AGENT_EXIT)[keyof typeof AGENT_EXIT];

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_BAUD = 115200;
export const DEFAULT_JOURNAL = './agent.journal';
/** The log id until the hardware's hello names the satellite (when --id is not given). */
export const DEFAULT_ID = 'agent';
/** The flight recorder's default file-size cap (firmware-agent/recorder/recorder.ts). */
export const DEFAULT_RECORD_MAX_BYTES = 256 * 1024 * 1024;
/** After a port-open failure whose message does not say why (a missing path, no permission). */
const PORT_OPEN_HINT = '  (is it there, is another process using it, may this user open it? On Linux: group dialout)\n';

/**
 * True when the HAL's open error already names the cause: not a tty, or busy (the wording of
 * openErrorForPeople in hal/link/serial-link.ts); the hint above would then mislead.
 */
export function openCauseSaid(message: string): boolean {
  return /(^|: )(not a serial device \(not a tty\)|busy: another process has it open)/.test(message);
}

/** How long a stop may take before the process exits anyway, ms. */
const STOP_LIMIT_MS = 5000;

/** Within 80 columns: printed as written by this program's --help and by `fsw agent --help`. */
export const EXIT_STATUS_HELP = `Exit status:
  0   stopped on SIGINT or SIGTERM (the agent stopped cleanly), or after
      --help / --version
  1   runtime failure (the journal cannot be opened or is not a journal, an
      unexpected error)
  2   bad usage: unknown option, missing --port, invalid value, invalid
      configuration file
  3   the serial port could not be opened at start (E_LINK_OPEN: missing, busy,
      no permission)
  75  the hardware reset the flight computer (its watchdog fired): restart the
      process

A port lost after start is reopened with backoff, without exiting. Under systemd
use Restart=always with RestartSec=2 (a reset, 75, or a port not there yet, 3,
is then a restart) and RestartPreventExitStatus=2 so that a bad configuration
is not retried forever.`;

/** Within 80 columns (a test checks every line of --help). */
export const AGENT_USAGE = `Usage: node dist/firmware-agent/main.js --port PATH [options]

Runs one flight-software agent on a serial port (a UART, a USB-serial adapter,
or a pseudo-terminal served by 'fsw emulate'), in real time. JSON log lines go
to stdout, one per event; messages for people go to stderr.

Options:
  --port PATH         the satellite hardware's serial port, 8N1, no flow
                      control (required), e.g. /dev/serial0, /dev/ttyUSB0, or
                      a path printed by 'fsw emulate'
  --baud N            baud rate, 50 to 4000000 (default ${DEFAULT_BAUD})
  --id SAT-ID         the id on every log line (default: the satellite id
                      from the hardware's hello; "${DEFAULT_ID}" until it arrives)
  --config FILE       agent configuration, YAML or JSON, validated at start:
                      a plain agent file, or a unified fsw file (its agent:
                      section is read); FSW_AGENT__<FIELD> variables override
                      it, e.g. FSW_AGENT__CYCLE_HZ=5, and the flags below
                      override both (default: the built-in defaults)
  --journal FILE      journal kept across restarts: in-flight and finished
                      actions, mode, counters; created if missing
                      (default ${DEFAULT_JOURNAL})
  --log-level LEVEL   ${LOG_LEVELS.join(', ')}
                      (overrides observability.log_level; default info)
  --metrics-port N    serve Prometheus text at http://127.0.0.1:N/metrics,
                      0 = off (overrides observability.metrics_port; default 0)
  --record FILE       flight recorder: append every frame received and sent,
                      with its time, and every decision and mode change to
                      FILE (one session per start), for 'fsw replay FILE';
                      about 7.5 MiB an hour solo, 15–21 MiB with the swarm
                      (the leader most; see firmware-agent/recorder/README.md)
  --record-max-bytes N
                      stop recording once FILE would pass N bytes
                      (default ${DEFAULT_RECORD_MAX_BYTES})
  -h, --help          show this help and exit
  -V, --version       print the agent's software version and exit

${EXIT_STATUS_HELP}

Example, on a laptop with the emulator:
  # in one terminal:
  fsw emulate nominal --sats 1 --pty-dir /tmp/sats
  # in another:
  node dist/firmware-agent/main.js --port /tmp/sats/SAT-1 \\
    --journal /tmp/SAT-1.journal | jq -c .
`;

/** What `main` writes to and listens to (injectable for in-process tests and `fsw agent`). */
export interface MainIO {
  /** --help and --version text. Default: stdout. */
  out: (text: string) => void;
  /** Messages for people: usage errors, a port that will not open. Default: stderr. */
  err: (text: string) => void;
  /** Subscribe to SIGINT/SIGTERM; returns the unsubscribe. Default: the process's signals. */
  onSignal: (fn: (signal: NodeJS.Signals) => void) => () => void;
  /** Where JSON log lines go. Default: stdout (fd 1), written synchronously. */
  logDestination?: DestinationStream;
  /** The program name in messages. Default `agent`. */
  prog?: string;
  /** Where FSW_AGENT__* configuration variables are read. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export const processMainIO: MainIO = processIO;

/** The validated command line. */
export interface MainOptions {
  port: string;
  baud: number;
  id: string | undefined;
  config: string | undefined;
  journal: string;
  logLevel: LogLevel | undefined;
  metricsPort: number | undefined;
  /** Flight-recording file (--record), and its size cap. */
  record: string | undefined;
  recordMaxBytes: number;
}

class UsageError extends Error {}

const ARG_OPTIONS = {
  port: { type: 'string' },
  baud: { type: 'string' },
  id: { type: 'string' },
  config: { type: 'string' },
  journal: { type: 'string' },
  'log-level': { type: 'string' },
  'metrics-port': { type: 'string' },
  record: { type: 'string' },
  'record-max-bytes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

function intValue(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`option '--${flag}' argument '${value}' is invalid: must be an integer from ${min} to ${max}`);
  return n;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`option '--${flag}' needs a non-empty value`);
  return value;
}

/** Parses argv (without node and script). Throws UsageError; `help`/`version` short-circuit. */
export function parseMainArgs(argv: readonly string[]): { help: true } | { version: true } | MainOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: ARG_OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    const e = err as Error & { code?: string };
    const m = /'(-[^' ]+)/.exec(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option '${m?.[1] ?? e.message}'`);
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument: ${e.message.replace(/^Unexpected argument '([^']*)'.*$/s, "'$1'")} (this program takes options only)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(e.message.replace(/^Option/, 'option').replace(/\.$/, ''));
    throw new UsageError(e.message);
  }
  if (values.help) return { help: true };
  if (values.version) return { version: true };
  const port = nonEmpty('port', values.port as string | undefined);
  if (port === undefined) throw new UsageError("required option '--port <path>' not specified (the serial port of this satellite's hardware)");
  const level = values['log-level'] as string | undefined;
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`option '--log-level' argument '${level}' is invalid: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const baud = values.baud as string | undefined;
  const metrics = values['metrics-port'] as string | undefined;
  const recordMax = values['record-max-bytes'] as string | undefined;
  return {
    port,
    baud: baud === undefined ? DEFAULT_BAUD : intValue('baud', baud, 50, 4_000_000),
    id: nonEmpty('id', values.id as string | undefined),
    config: nonEmpty('config', values.config as string | undefined),
    journal: nonEmpty('journal', values.journal as string | undefined) ?? DEFAULT_JOURNAL,
    logLevel: level as LogLevel | undefined,
    metricsPort: metrics === undefined ? undefined : intValue('metrics-port', metrics, 0, 65535),
    record: nonEmpty('record', values.record as string | undefined),
    recordMaxBytes: recordMax === undefined ? DEFAULT_RECORD_MAX_BYTES : intValue('record-max-bytes', recordMax, 65536, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * The log id follows the satellite: lines carry `--id`, or "agent" until the hardware's hello
 * names the satellite and the hello's `sat` from then on. Children keep the id they were made with.
 */
class RenamingLogger implements AgentLogger {
  private inner: AgentLogger;
  constructor(private readonly make: (id: string) => AgentLogger, id: string) {
    this.inner = make(id);
  }
  get id(): string {
    return this.inner.id;
  }
  get level(): LogLevel {
    return this.inner.level;
  }
  set level(l: LogLevel) {
    this.inner.level = l;
  }
  rename(id: string): void {
    if (id === this.inner.id) return;
    const level = this.inner.level;
    this.inner.flush();
    this.inner = this.make(id);
    this.inner.level = level;
  }
  event(code: EventCode, fields?: LogFields, msg?: string): void {
    this.inner.event(code, fields, msg);
  }
  warn(code: EventCode, fields?: LogFields, msg?: string): void {
    this.inner.warn(code, fields, msg);
  }
  error(code: EventCode, fields?: LogFields, msg?: string): void {
    this.inner.error(code, fields, msg);
  }
  debug(code: EventCode, fields?: LogFields, msg?: string): void {
    this.inner.debug(code, fields, msg);
  }
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return this.inner.isLevelEnabled(level);
  }
  child(bindings: LogFields): AgentLogger {
    return this.inner.child(bindings);
  }
  flush(): void {
    this.inner.flush();
  }
}

/**
 * Runs the agent as the command line says; resolves to the exit status (AGENT_EXIT). Never
 * calls process.exit: the caller (the script entry below, `fsw agent`, a test) does.
 */
export async function main(argv: readonly string[], io: MainIO = processMainIO): Promise<number> {
  const prog = io.prog ?? 'agent';
  const usage = (message: string): number => {
    io.err(`${prog}: error: ${message}\n(run '${prog} --help' for usage)\n`);
    return AGENT_EXIT.USAGE;
  };
  let parsed: ReturnType<typeof parseMainArgs>;
  try {
    parsed = parseMainArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
  if ('help' in parsed) {
    io.out(AGENT_USAGE);
    return AGENT_EXIT.OK;
  }
  if ('version' in parsed) {
    const { AGENT_SW } = await import('./agent.js');
    io.out(`${AGENT_SW}\n`);
    return AGENT_EXIT.OK;
  }
  return run(parsed, io, prog);
}

async function run(o: MainOptions, io: MainIO, prog: string): Promise<number> {
  // Listen first: a Ctrl-C while the port opens still ends in a clean stop.
  let stopSignal: NodeJS.Signals | undefined;
  let wake: (r: { code: number; reason: string }) => void = () => {};
  const finished = new Promise<{ code: number; reason: string }>((r) => (wake = r));
  const offSignal = io.onSignal((sig) => {
    stopSignal ??= sig;
    wake({ code: AGENT_EXIT.OK, reason: sig });
  });
  try {
    const [{ Agent }, { parseAgentConfig, ConfigError }, { resolveAgentSection }, { createLogger, serveMetricsFromConfig }, { RealClock, SerialLink, HalError }, { pino }] = await Promise.all([
      import('./agent.js'),
      import('./config/load.js'),
      import('./config-layers.js'),
      import('./observability/index.js'),
      import('../hal/index.js'),
      import('pino'),
    ]);

    // Logs: JSON lines, synchronous (a line on stdout means it happened, even if we are killed next).
    const destination = io.logDestination ?? pino.destination({ dest: 1, sync: true });
    const log = new RenamingLogger((id) => createLogger({ id, level: o.logLevel ?? 'info', destination }), o.id ?? DEFAULT_ID);

    // Configuration: defaults < --config file (plain, or a unified file's agent section) <
    // FSW_AGENT__* variables < flags; validated once, then frozen (tools/config/README.md).
    const source = o.config ? resolve(o.config) : 'built-in defaults';
    let config: Readonly<AgentConfig>;
    try {
      const observability = ['agent', 'observability'];
      const flags = [
        { flag: '--log-level', path: [...observability, 'log_level'], value: o.logLevel },
        { flag: '--metrics-port', path: [...observability, 'metrics_port'], value: o.metricsPort },
      ];
      const r = resolveAgentSection({ ...(o.config ? { file: o.config } : {}), env: io.env ?? process.env, flags }, parseAgentConfig, (s, issues) => new ConfigError(s, issues), source);
      for (const w of r.warnings) io.err(`${prog}: warning: ${w}\n`);
      config = r.config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error('CONFIG_INVALID', { source, issues: err.issues });
      io.err(`${prog}: error: ${err.message}\n`);
      return AGENT_EXIT.USAGE;
    }
    log.level = config.observability.log_level;
    const journalPath = resolve(o.journal);
    log.event('CONFIG_LOADED', { source, port: o.port, baud: o.baud, journal: journalPath, cycle_hz: config.cycle_hz, metrics_port: config.observability.metrics_port, ...(o.record ? { record: resolve(o.record) } : {}) });

    // The port, before anything touches the journal: a board whose adapter is not there yet
    // exits 3 (the supervisor retries) without counting a boot.
    const clock = new RealClock();
    const link = new SerialLink({ path: o.port, baudRate: o.baud, clock });
    try {
      await link.open();
    } catch (err) {
      const e = err as Error & { code?: string };
      const code = err instanceof HalError ? err.code : (e.code ?? 'E_LINK_OPEN');
      log.error('HAL_ERROR', { err: code, port: o.port, detail: e.message });
      io.err(`${prog}: cannot open serial port ${o.port}: ${code}: ${e.message}\n${openCauseSaid(e.message) ? '' : PORT_OPEN_HINT}`);
      return AGENT_EXIT.PORT_UNAVAILABLE;
    }
    if (stopSignal) {
      await link.close();
      return AGENT_EXIT.OK;
    }
    // After start, a lost port is reopened with backoff (the link does it); say so once per loss.
    let reopenFailures = 0;
    link.on('state', (s) => {
      if (s === 'up') reopenFailures = 0;
    });
    link.on('error', (e) => {
      if (e.code === 'E_LINK_OPEN' && reopenFailures++ > 0) log.debug('HAL_ERROR', { err: e.code, detail: e.message });
      else log.warn('HAL_ERROR', { err: e.code, detail: e.message });
    });

    // The flight recorder wraps the link before the agent sees it, and copies the journal before the agent opens it.
    const recorder = o.record ? await startRecorder(o, io, prog, { clock, link, config, journalPath, log }) : undefined;
    const agent = new Agent({ link: recorder?.link ?? link, clock: recorder?.clock ?? clock, config, journalPath, id: o.id ?? DEFAULT_ID, log });
    recorder?.attach(agent);
    agent.client.on('hello', (h) => {
      if (o.id === undefined) log.rename(h.sat);
      else if (h.sat !== o.id) log.warn('HAL_ERROR', { detail: `the hardware says it is ${h.sat}, but --id is ${o.id}: is this the right port?` });
    });
    // The agent already ignores (and logs) a reset that predates its first handshake.
    agent.on('reset', (reason) => wake({ code: AGENT_EXIT.HARDWARE_RESET, reason: `hardware reset: ${reason}` }));

    const metricsServer = await serveMetricsFromConfig(agent.metrics, config.observability).then(
      (s) => {
        if (s) log.event('METRICS_SERVING', { host: s.host, port: s.port });
        return s;
      },
      (err: Error & { code?: string }) => {
        log.error('METRICS_SERVE_FAILED', { host: '127.0.0.1', port: config.observability.metrics_port, error: err.code ?? err.message });
        return undefined;
      },
    );

    try {
      await agent.start();
    } catch (err) {
      // The journal would not open (E_JOURNAL_FORMAT, E_JOURNAL_VERSION, E_JOURNAL_IO), or worse.
      const e = err as Error & { code?: string };
      if (isJournalError(err)) log.error('JOURNAL_ERROR', { err: e.code, detail: e.message });
      else log.error('AGENT_STOP', { reason: 'start failed', detail: e.message });
      io.err(`${prog}: cannot start: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
      recorder?.end('start failed');
      await stopWithin(agent.stop(`start failed: ${e.code ?? e.message}`));
      recorder?.close();
      await link.close();
      await metricsServer?.close();
      return AGENT_EXIT.FAILURE;
    }

    const { code, reason } = await finished;
    recorder?.end(reason);
    await stopWithin(agent.stop(reason));
    recorder?.close();
    await metricsServer?.close();
    log.flush();
    return code;
  } finally {
    offSignal();
  }
}

/** Starts the flight recorder; a file it cannot write is said in the log and on stderr, and the agent flies on without it. */
async function startRecorder(o: MainOptions, io: MainIO, prog: string, s: { clock: Clock; link: Link; config: Readonly<AgentConfig>; journalPath: string; log: AgentLogger }) {
  const [{ FlightRecorder }, { AGENT_SW }] = await Promise.all([import('./recorder/index.js'), import('./agent.js')]);
  const file = resolve(o.record!);
  return FlightRecorder.start(
    {
      file, clock: s.clock, clockKind: 'real', drive: 'event', maxBytes: o.recordMaxBytes,
      onStop: (why) => {
        s.log.warn('RECORDER_STOPPED', why.code === 'full' ? { file, reason: 'full', bytes: why.bytes } : { file, reason: why.code, detail: why.message });
        io.err(why.code === 'full' ? `${prog}: flight recorder: ${file} reached ${why.bytes} bytes (--record-max-bytes); recording stopped\n` : `${prog}: flight recorder stopped: ${why.code}: ${why.message} (the agent flies on)\n`);
      },
    },
    { id: o.id ?? DEFAULT_ID, sat: o.id ?? null, sw: AGENT_SW, config: s.config, link: s.link, journalPath: s.journalPath },
  );
}

async function stopWithin(p: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, STOP_LIMIT_MS)))]);
  clearTimeout(timer);
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2), { ...processMainIO, prog: basename(process.argv[1]!) }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`agent: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(AGENT_EXIT.FAILURE);
    },
  );
}
