/**
 * The one registry of log event codes. Every structured log line the agent writes carries
 * one of these as `code`, so the ground, tests and metrics name the same thing. Codes are
 * stable UPPER_SNAKE_CASE; a retired code is never reused. A test greps `firmware-agent/`
 * for logger calls whose first argument is a literal code (`.event(`, `.warn(`, `.error(`,
 * `.debug(`) and fails on any code not listed here: add the code here in the same change
 * that first logs it.
 */
export const EVENT_CODES = {
  // lifecycle
  AGENT_START: 'the agent started (config summary, software version)',
  AGENT_STOP: 'the agent stopped (reason)',
  CONFIG_LOADED: 'configuration validated and frozen (source)',
  CONFIG_INVALID: 'configuration refused at start (source, issues)',
  METRICS_SERVING: 'the Prometheus endpoint is listening (host, port)',
  METRICS_SERVE_FAILED: 'the Prometheus endpoint could not listen (host, port, error); the agent runs on without it',

  // the link and the hardware
  LINK_STATE: 'the HAL connection changed state (closed, handshaking, up, lost)',
  HAL_HELLO: 'handshake done: the hardware announced itself (sat id, devices, watchdog period)',
  HAL_ERROR: 'the HAL reported trouble (error code, detail): handshake retries, link errors, late answers',
  LINK_DROP: 'a frame was dropped on receipt (reason, detail)',
  WATCHDOG_PET_FAILED: 'a watchdog pet was not sent because the link was not up',

  // the cycle
  CYCLE_SLIP: 'a cycle overran budget_ms (phase, elapsed_ms, budget_ms)',
  CYCLE_DEADLINES_SKIPPED: 'cycle deadlines were skipped because a tick started more than a period late (count)',
  CYCLE_ERROR: 'a cycle phase threw; the cycle was abandoned and the next one runs (phase, error)',

  // assessment and decisions
  ANOMALY_RAISED: 'an anomaly episode started (signature, severity, subsystem, value)',
  ANOMALY_CLEARED: 'an anomaly episode ended (signature, duration_ms)',
  DECISION_MADE: 'the policy produced a decision other than noop (id, type, action, rule, confidence)',
  DECISION_SAFE_FALLBACK: 'the decision fell back to safe (reason: policy error, stale or missing inputs)',
  ARBITRATION_REJECTED: 'local-safety arbitration refused a decision (id, action, reason)',

  // actions
  ACTION_STARTED: 'an action started (id, action, params)',
  ACTION_RETRY: 'an action step is retried after a failure (id, step, attempt, backoff_ms)',
  ACTION_DONE: 'an action finished and every step was verified by read-back (id, elapsed_ms)',
  ACTION_FAILED: 'an action failed (id, step, error code, attempts)',
  ACTION_TIMED_OUT: 'an action step was not verified within verify_timeout_ms (id, step)',
  ACTION_CANCELLED: 'a ground command cancelled a running action; its id is never run again (id, action, step)',
  ACTION_STALLED: 'the procedure watcher saw no progress for stall_factor × the expected step time (id, step)',
  BREAKER_STATE: 'a device circuit breaker changed state (dev, from, to, failures)',

  // modes
  MODE_CHANGE: 'the agent changed mode (from, to, reason)',

  // ground commands (firmware-agent/ground/)
  GROUND_CMD_ACCEPTED: 'a signed ground command was verified and carried out (op, counter, detail)',
  GROUND_CMD_REFUSED: 'a ground command was refused (reason: unsigned, bad_signature, replayed, malformed, wrong_target, no_key; counter and op when known)',
  GROUND_CMD_FAILED: 'a verified ground command could not be carried out (op, counter, reason: no_such_action, not_leader, no_swarm, …)',
  GROUND_KEY_ERROR: 'the configured ground public key could not be loaded (path, why); every ground command is refused no_key',

  // flight recorder (firmware-agent/recorder/)
  RECORDER_STOPPED: 'the flight recorder stopped and the agent flies on without it (file, reason: full with bytes, or an E_RECORDING_* code with detail)',

  // journal
  JOURNAL_OPENED: 'the journal was opened and replayed (records, bytes)',
  JOURNAL_TORN_RECORD: 'a torn or corrupt record was found at open and cut off (offset, bytes)',
  JOURNAL_COMPACTED: 'the journal was compacted (bytes before, bytes after)',
  JOURNAL_ERROR: 'a journal operation failed (journal error code, detail)',

  // health
  HEALTH_WARN: 'a component missed warn_missed pings (component, missed)',
  HEALTH_FATAL: 'a component missed fatal_missed pings (component, missed)',
  HEALTH_RECOVERED: 'a component answered again after a warn or fatal (component)',
} as const;

export type EventCode = keyof typeof EVENT_CODES;

export function isEventCode(code: string): code is EventCode {
  return Object.prototype.hasOwnProperty.call(EVENT_CODES, code);
}
