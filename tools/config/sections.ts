/**
 * The unified configuration's sections besides `agent` (which firmware-agent/config
 * defines and validates): what `fsw emulate` and `fsw run` take. Each field is checked by the
 * same value parser as its command-line flag, so a bad value reads the same from a file, a
 * variable or a flag ("must be an integer from 1 to 1000").
 */
import { existsSync } from 'node:fs';
import { builtinScenarioNames } from '../../emulator/scenario/load.js';
import { DEFAULT_BAUD } from '../../firmware-agent/main.js';
import { baudArg, listArg, satsArg, secondsArg, seedArg } from '../commands/common.js';
import { parseSpeed, SPEED_HELP } from '../view/pace.js';

/** One field: its check (throws with what it allows), its default, and what it means. */
export interface FieldSpec {
  parse: (value: unknown) => unknown;
  /** null: not set, the command's own behaviour applies (`help` says which). */
  default: unknown;
  help: string;
}

/** A string-taking flag parser applied to a file or environment value. */
function scalar(parser: (text: string) => unknown, what: string): (value: unknown) => unknown {
  return (value) => {
    if (typeof value !== 'number' && typeof value !== 'string') throw new Error(`must be ${what}`);
    return parser(String(value));
  };
}

function text(what: string): (value: unknown) => unknown {
  return (value) => {
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`must be ${what} (a non-empty string)`);
    return value;
  };
}

const portList = listArg('port path');
function ports(value: unknown): unknown {
  if (typeof value === 'string') return portList(value);
  if (Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === 'string' && p.trim() !== '')) return value;
  throw new Error('must be a list of serial port paths (or one comma-separated string), one per satellite');
}

function report(value: unknown): unknown {
  if (value === false || (typeof value === 'string' && value.trim() !== '')) return value;
  throw new Error('must be a file path for the HTML report, or false for none');
}

function scenario(value: unknown): unknown {
  const names = builtinScenarioNames();
  if (typeof value === 'string' && (names.includes(value) || existsSync(value))) return value;
  // Worded as fsw emulate/run word it for the argument.
  if (typeof value === 'string') throw new Error(`no scenario "${value}": not a shipped scenario (${names.join(', ')}) and no such file`);
  throw new Error(`must be a shipped scenario (${names.join(', ')}) or the path of a YAML/JSON scenario file`);
}

const seed = scalar(seedArg, 'an integer from 0 to 4294967295');
const sats = scalar(satsArg, 'an integer from 1 to 1000');
const seconds = scalar(secondsArg, 'a number of seconds > 0');
const baud = scalar(baudArg, 'an integer from 50 to 4000000');

export const EMULATOR_FIELDS: Record<string, FieldSpec> = {
  scenario: { parse: scenario, default: 'nominal', help: 'a shipped scenario or the path of a scenario file' },
  seed: { parse: seed, default: null, help: "random seed (default: the scenario's seed)" },
  sats: { parse: sats, default: null, help: "number of satellites (default: the scenario's constellation.count)" },
};

export const EMULATE_FIELDS: Record<string, FieldSpec> = {
  pty_dir: { parse: text('a directory path'), default: null, help: 'where the pty links go (default: a fresh temporary directory)' },
  ports: { parse: ports, default: null, help: 'serve on these real serial ports, one per satellite, instead of ptys' },
  ground_port: { parse: text('a serial port path'), default: null, help: "with ports: serve the scenario's ground station on this serial port too (default: none; on ptys it gets its own pty)" },
  baud: { parse: baud, default: DEFAULT_BAUD, help: 'baud rate for ports' },
  duration_s: { parse: seconds, default: null, help: 'stop after this many seconds of real time (default: run until Ctrl-C)' },
  status_every_s: { parse: seconds, default: 5, help: 'seconds between status lines' },
};

export const RUN_FIELDS: Record<string, FieldSpec> = {
  duration_s: { parse: seconds, default: null, help: "virtual seconds to run (default: the scenario's duration_s)" },
  every_s: { parse: seconds, default: 600, help: 'virtual seconds between progress reports' },
  work_dir: { parse: text('a directory path'), default: null, help: "keep the agents' journals here (default: a temporary directory, removed after)" },
  // Kept as its text (`x10`), so the printed configuration reads as typed.
  speed: { parse: scalar((v) => parseSpeed(v).label, SPEED_HELP), default: 'max', help: `pace of virtual time: ${SPEED_HELP}` },
  report: { parse: report, default: null, help: 'the HTML report\'s path, or false for none (default: out/report-<scenario>-<seed>.html)' },
  record: { parse: text('a directory path'), default: null, help: 'flight recordings, one <sat>.rec per satellite, go in this directory (default: none)' },
};

export const TOOL_SECTIONS = { emulator: EMULATOR_FIELDS, emulate: EMULATE_FIELDS, run: RUN_FIELDS } as const;
export type ToolSection = keyof typeof TOOL_SECTIONS;

/** A section's refusal: one issue per bad field, `field: what it allows` (as the agent's validator words them). */
export class SectionError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
    this.name = 'SectionError';
  }
}

/** Validates one tool section (defaults filled; unknown fields refused). Throws SectionError. */
export function parseToolSection(section: ToolSection, value: Record<string, unknown>): Record<string, unknown> {
  const fields = TOOL_SECTIONS[section];
  const issues: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(key in fields)) issues.push(`${key}: unknown key; allowed here: ${Object.keys(fields).join(', ')}`);
  }
  for (const [key, spec] of Object.entries(fields)) {
    const v = value[key];
    if (v === undefined || v === null) {
      out[key] = spec.default;
      continue;
    }
    try {
      out[key] = spec.parse(v);
    } catch (err) {
      issues.push(`${key}: ${(err as Error).message}`);
    }
  }
  if (section === 'emulate' && out.ports !== null && out.pty_dir !== null) {
    issues.push('(top level): ports and pty_dir exclude each other (ports serves real serial ports, pty_dir places ptys); set one');
  }
  if (issues.length) throw new SectionError(issues);
  return out;
}
