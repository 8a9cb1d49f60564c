import { pino, type DestinationStream, type Logger } from 'pino';
import type { EventCode } from './events.js';

export { EVENT_CODES, isEventCode, type EventCode } from './events.js';

/**
 * Structured JSON logs, one line per event, through pino. Every line carries the agent's
 * `id`, a `level` label (`"info"`, `"warn"`…), a `time` in ms and a stable event `code` from
 * EVENT_CODES; `msg` is optional prose for people.
 *
 *   {"level":"warn","time":1712.5,"id":"sat-3","code":"CYCLE_SLIP","phase":"act","elapsed_ms":27}
 *
 * Field keys `id`, `code`, `level`, `time` and `msg` belong to the line itself: a field under
 * one of those names is written as `field_<key>` (a decision's `id` → `field_id`).
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFields = Readonly<Record<string, unknown>>;

export interface LoggerOptions {
  /** Default `info`; `silent` writes nothing. */
  level?: LogLevel;
  /** The agent's id (its satellite id): on every line as `id`. */
  id: string;
  /** Where lines go (anything with `write(line)`); default stdout. */
  destination?: DestinationStream;
  /**
   * Source of `time`. Default: wall time (epoch ms). Pass the agent's clock for
   * clock-scale times, e.g. the virtual clock so a simulated run's log is reproducible.
   */
  clock?: { now(): number };
}

export interface AgentLogger {
  readonly id: string;
  /** Current level; may be changed at run time. */
  level: LogLevel;
  /** An event at `info`. */
  event(code: EventCode, fields?: LogFields, msg?: string): void;
  warn(code: EventCode, fields?: LogFields, msg?: string): void;
  error(code: EventCode, fields?: LogFields, msg?: string): void;
  debug(code: EventCode, fields?: LogFields, msg?: string): void;
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /** A logger whose lines also carry `bindings` (e.g. `{ comp: 'cycle' }`). */
  child(bindings: LogFields): AgentLogger;
  /** Flushes a buffered destination (no-op for synchronous ones). */
  flush(): void;
}

const RESERVED = new Set(['id', 'code', 'level', 'time', 'msg']);

function safeFields(fields: LogFields): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k in fields) {
    if (RESERVED.has(k)) {
      out ??= { ...fields };
      delete out[k];
      out[`field_${k}`] = fields[k];
    }
  }
  return out ?? (fields as Record<string, unknown>);
}

class PinoAgentLogger implements AgentLogger {
  constructor(
    readonly id: string,
    private readonly p: Logger,
  ) {}

  get level(): LogLevel {
    return this.p.level as LogLevel;
  }
  set level(l: LogLevel) {
    this.p.level = l;
  }

  event(code: EventCode, fields?: LogFields, msg?: string): void {
    if (this.p.isLevelEnabled('info')) this.p.info(this.obj(code, fields), msg);
  }
  warn(code: EventCode, fields?: LogFields, msg?: string): void {
    if (this.p.isLevelEnabled('warn')) this.p.warn(this.obj(code, fields), msg);
  }
  error(code: EventCode, fields?: LogFields, msg?: string): void {
    if (this.p.isLevelEnabled('error')) this.p.error(this.obj(code, fields), msg);
  }
  debug(code: EventCode, fields?: LogFields, msg?: string): void {
    if (this.p.isLevelEnabled('debug')) this.p.debug(this.obj(code, fields), msg);
  }
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return this.p.isLevelEnabled(level);
  }
  child(bindings: LogFields): AgentLogger {
    return new PinoAgentLogger(this.id, this.p.child(safeFields(bindings)));
  }
  flush(): void {
    this.p.flush();
  }

  private obj(code: EventCode, fields: LogFields | undefined): Record<string, unknown> {
    return fields ? { code, ...safeFields(fields) } : { code };
  }
}

export function createLogger(opts: LoggerOptions): AgentLogger {
  const clock = opts.clock;
  const p = pino(
    {
      level: opts.level ?? 'info',
      base: { id: opts.id },
      timestamp: clock ? () => `,"time":${clock.now()}` : pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
  return new PinoAgentLogger(opts.id, p);
}
