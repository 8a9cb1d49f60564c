/**
 * Console command lines, typed at the prompt or read from a script, one per line:
 *
 *   pause SAT-2                      resume SAT-2               status SAT-2
 *   cancel SAT-2 <action-id>         mode SAT-2 safe "reason"   propose SAT-1 payload_off [key=value …]
 *   help                             quit
 *
 * In a script a line may start with `at SECONDS` (when to send it: virtual seconds of the
 * run, or seconds since the console started on a port). `#` starts a comment. Lines run in
 * file order, so the times must not go down, and nothing may follow `quit`: either would
 * silently hold back or drop lines, so the script is refused instead, naming the line.
 */
import { COMMANDABLE_MODES, type GroundCommand, type ParamValue } from '../../firmware-agent/ground/format.js';

export type ConsoleLine =
  | { kind: 'command'; sat: string; cmd: GroundCommand }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' };

export type ScriptLine = ConsoleLine & { at?: number; line: number; text: string };

// Within 80 columns: it is printed as written, in `fsw ground --help` and by `help`.
export const CONSOLE_HELP = [
  'commands (one per line; SAT is a satellite id such as SAT-2):',
  '  pause SAT                     hold the decision loop (no decisions or actions',
  '                                of its own)',
  '  resume SAT                    let the decision loop decide again',
  '  status SAT                    ask for mode, paused, running action ids, boots',
  '  cancel SAT ACTION_ID          cancel a running action (ids: see status)',
  '  mode SAT MODE ["reason"]      force a mode: ' + COMMANDABLE_MODES.join(', '),
  '  propose SAT ACTION [k=v ...]  ask SAT (the leader) to put a constellation-wide',
  '                                action to the vote',
  '  help                          this list',
  '  quit                          leave the console',
  'in a script, a line may start with "at SECONDS"; # starts a comment; lines run',
  'in file order:',
  '  "at" times must not go down (sort the file), nothing may follow quit, and',
  '  with --scenario every "at" must be before the end of the run (--duration);',
  '  a script that breaks this is refused before anything is sent (exit 2, naming',
  '  the line)',
].join('\n');

/** Thrown for a line that is not a command; the message says what is wrong. */
export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

/** Splits on blanks; "double quotes" group words (no escapes inside). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let rest = line;
  const hash = findComment(line);
  if (hash >= 0) rest = line.slice(0, hash);
  if ((rest.match(/"/g)?.length ?? 0) % 2 !== 0) throw new CommandLineError('unbalanced double quote');
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push(m[1] ?? m[2]!);
  return out;
}

/** Index of a `#` outside quotes, or -1. */
function findComment(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === '#' && !quoted) return i;
  }
  return -1;
}

const SAT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

function sat(tokens: string[], verb: string): string {
  const s = tokens[1];
  if (!s) throw new CommandLineError(`${verb} needs a satellite id (e.g. ${verb} SAT-2)`);
  if (!SAT_ID.test(s)) throw new CommandLineError(`"${s}" is not a satellite id`);
  return s;
}

function param(kv: string): [string, ParamValue] {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new CommandLineError(`parameter "${kv}" must be key=value`);
  const k = kv.slice(0, eq);
  const v = kv.slice(eq + 1);
  if (v === 'true' || v === 'false') return [k, v === 'true'];
  if (v !== '' && Number.isFinite(Number(v))) return [k, Number(v)];
  return [k, v];
}

/** One console line → what to do. Throws CommandLineError. */
export function parseConsoleLine(line: string): ConsoleLine {
  const t = tokenize(line);
  if (t.length === 0) return { kind: 'empty' };
  const verb = t[0]!.toLowerCase();
  const extra = (n: number): void => {
    if (t.length > n) throw new CommandLineError(`${verb} takes ${n - 1} argument(s); unexpected "${t[n]}"`);
  };
  switch (verb) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'pause':
    case 'resume':
    case 'status': {
      const s = sat(t, verb);
      extra(2);
      return { kind: 'command', sat: s, cmd: { op: verb } };
    }
    case 'cancel': {
      const s = sat(t, verb);
      const id = t[2];
      if (!id) throw new CommandLineError('cancel needs an action id (cancel SAT-2 ACTION_ID; "status SAT-2" lists them)');
      extra(3);
      return { kind: 'command', sat: s, cmd: { op: 'cancel', id } };
    }
    case 'mode': {
      const s = sat(t, verb);
      const mode = t[2];
      const m = COMMANDABLE_MODES.find((x) => x === mode);
      if (!m) throw new CommandLineError(`mode needs one of ${COMMANDABLE_MODES.join(', ')}${mode ? `, not "${mode}"` : ''}`);
      const reason = t.slice(3).join(' ');
      if (reason.length > 200) throw new CommandLineError('the reason is longer than 200 characters');
      return { kind: 'command', sat: s, cmd: { op: 'mode', mode: m, reason } };
    }
    case 'propose': {
      const s = sat(t, verb);
      const action = t[2];
      if (!action) throw new CommandLineError('propose needs an action name (e.g. propose SAT-1 payload_off)');
      return { kind: 'command', sat: s, cmd: { op: 'propose', action, params: Object.fromEntries(t.slice(3).map(param)) } };
    }
    default:
      throw new CommandLineError(`unknown command "${t[0]}" (type help)`);
  }
}

/**
 * A script's text → its lines (an `at` time each may have). Throws CommandLineError naming the
 * line: a bad command, an `at` time below an earlier line's, a line after `quit`.
 */
export function parseScript(text: string): ScriptLine[] {
  const out: ScriptLine[] = [];
  let lastAt: ScriptLine | undefined;
  let quit: ScriptLine | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    try {
      let body = raw.trim();
      let at: number | undefined;
      const m = /^at\s+(\S+)\s*(.*)$/i.exec(body);
      if (m) {
        at = Number(m[1]);
        if (!Number.isFinite(at) || at < 0) throw new CommandLineError(`"at ${m[1]}": the time must be seconds >= 0`);
        body = m[2]!;
      }
      const parsed = parseConsoleLine(body);
      if (parsed.kind === 'empty' && at === undefined) return;
      if (parsed.kind === 'empty') throw new CommandLineError('"at" needs a command after the time');
      if (quit) throw new CommandLineError(`comes after "quit" on line ${quit.line}, so it would never run`);
      if (at !== undefined && lastAt && at < lastAt.at!) {
        throw new CommandLineError(`"at ${at}" is earlier than line ${lastAt.line}'s "at ${lastAt.at}": lines run in file order, so sort them by time`);
      }
      const entry: ScriptLine = { ...parsed, ...(at !== undefined ? { at } : {}), line, text: body };
      if (at !== undefined) lastAt = entry;
      if (parsed.kind === 'quit') quit = entry;
      out.push(entry);
    } catch (err) {
      if (err instanceof CommandLineError) throw new CommandLineError(`line ${line}: ${err.message}`);
      throw err;
    }
  });
  return out;
}

/**
 * Refuses a line whose `at` is not before the end of a run of `endS` seconds: it would never
 * be sent (and, lines running in order, nor would any after it).
 */
export function checkScriptEnd(script: readonly ScriptLine[], endS: number): void {
  const late = script.find((l) => l.at !== undefined && l.at >= endS);
  if (late) throw new CommandLineError(`line ${late.line}: "at ${late.at}" is not before the end of the run (${endS} s: --duration or the scenario's duration_s), so it would never be sent`);
}
