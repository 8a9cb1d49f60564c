/**
 * `fsw ground`: the ground console. Sends signed commands (pause, resume, cancel, mode,
 * propose, status) to satellites through the ground station's radio and shows what the
 * station hears: replies, health broadcasts, passes. On a port (`fsw emulate` serves the
 * station on a pty) or in a run (the constellation in process, on virtual time).
 * `fsw ground keygen` makes the Ed25519 key pair.
 */
import { Option, type Command } from 'commander';
import { builtinScenarioNames } from '../../emulator/scenario/load.js';
import { KeyFileError, loadConstellationKey } from '../../firmware-agent/swarm/keys.js';
import { runInRun, runOnPort, counterArg, privateKeyArg, scriptArg } from '../ground/session.js';
import { writeGroundKeyPair } from '../ground/keys.js';
import { checkScriptEnd, CommandLineError, CONSOLE_HELP, type ScriptLine } from '../ground/script.js';
import type { GroundConsole } from '../ground/console.js';
import { emulateScenario } from './emulate.js';
import { DEFAULT_BAUD } from '../../firmware-agent/main.js';
import { baudArg, listArg, satsArg, secondsArg, seedArg, StatusError, UsageError, type CliIO, type CommandModule } from './common.js';

export interface GroundOptions {
  port?: string;
  scenario?: string;
  key?: string;
  constellationKey?: string;
  members?: string[];
  script?: string;
  counterFile?: string;
  baud: number;
  duration?: number;
  sats?: number;
  seed?: number;
  summaryEvery: number;
  replyTimeout: number;
  workDir?: string;
}

/** accepted + failed + refused + unanswered (+ pending at end) = sent; the rest are not in `sent`. */
function summary(con: GroundConsole, io: CliIO): void {
  const s = con.stats;
  const extra = [
    s.pendingAtEnd ? `${s.pendingAtEnd} pending at end` : '',
    s.notSent ? `${s.notSent} not sent` : '',
    s.otherReplies ? `${s.otherReplies} other repl${s.otherReplies === 1 ? 'y' : 'ies'}` : '',
  ].filter(Boolean);
  io.out(`ground: ${s.sent} sent, ${s.accepted} accepted, ${s.failed} failed, ${s.refused} refused, ${s.unanswered} unanswered${extra.map((e) => `, ${e}`).join('')}\n`);
}

/** A script that did not all go out is a failure (exit 1): lines never run, or commands the radio would not take. */
function checkScriptDone(script: ScriptLine[] | undefined, linesNotRun: number, con: GroundConsole): void {
  if (!script) return;
  const why = [
    linesNotRun ? `${linesNotRun} script line(s) never ran (stopped first)` : '',
    con.stats.notSent ? `${con.stats.notSent} command(s) not sent (the station's radio refused them)` : '',
  ].filter(Boolean);
  if (why.length) throw new StatusError(1, `the script did not all go out: ${why.join('; ')}`);
}

/** The console with these options; `input` is the interactive stream (stdin). */
export async function runGround(o: GroundOptions, io: CliIO, input: NodeJS.ReadableStream = process.stdin): Promise<void> {
  if (!o.port && !o.scenario) throw new UsageError('give --port PATH (a ground station served by fsw emulate, or a radio) or --scenario NAME (a run in this process)');
  if (o.port && o.scenario) throw new UsageError('--port and --scenario do not go together: a console talks to one ground station');
  const script = o.script ? scriptArg(o.script) : undefined;
  const out = (line: string): void => io.out(`${line}\n`);
  let stop: () => void = () => {};
  const stopSignal = new Promise<void>((r) => (stop = r));
  let stopped = false;
  const offSignal = io.onSignal(() => {
    stopped = true;
    stop();
  });
  try {
    if (o.port) {
      if (!o.key) throw new UsageError('--key FILE is needed: the ground private key that signs commands (make one with fsw ground keygen --out DIR)');
      const key = privateKeyArg(o.key);
      if (o.constellationKey && !o.members) throw new UsageError('--constellation-key needs --members SAT-1,SAT-2,… (the constellation\'s member list, in order)');
      let constellationKey: Uint8Array | undefined;
      if (o.constellationKey) {
        try {
          constellationKey = loadConstellationKey(o.constellationKey);
        } catch (err) {
          if (err instanceof KeyFileError) throw new UsageError(`--constellation-key: ${err.message}`);
          throw err;
        }
      }
      const counter = counterArg(o.counterFile ?? `${o.key}.counter`);
      let r: Awaited<ReturnType<typeof runOnPort>>;
      try {
        r = await runOnPort({
          port: o.port, baud: o.baud, key, counter, script, summaryEveryS: o.summaryEvery, replyTimeoutMs: o.replyTimeout * 1000, out, stopSignal,
          ...(constellationKey ? { constellationKey, members: o.members } : {}),
          ...(script ? {} : { input }),
        });
      } catch (err) {
        if ((err as { code?: string }).code === 'E_LINK_OPEN') throw new StatusError(1, `cannot open ${o.port}: ${(err as Error).message} (is fsw emulate serving a ground station there?)`);
        throw err;
      }
      summary(r.console, io);
      checkScriptDone(script, r.linesNotRun, r.console);
      return;
    }
    const scenario = emulateScenario(o.scenario!, o);
    const key = o.key ? privateKeyArg(o.key) : undefined;
    const durationS = o.duration ?? scenario.duration_s;
    if (script) {
      try {
        checkScriptEnd(script, durationS);
      } catch (err) {
        if (err instanceof CommandLineError) throw new UsageError(`--script ${o.script}: ${err.message}`);
        throw err;
      }
    }
    out(`fsw ground: scenario "${scenario.name}" (seed ${scenario.seed}) in process, ${durationS} s of virtual time, ${script?.length ?? 0} scripted command(s)`);
    const r = await runInRun({
      scenario, script: script ?? [], durationS, summaryEveryS: o.summaryEvery, replyTimeoutMs: o.replyTimeout * 1000, out,
      stopped: () => stopped, ...(key ? { key } : {}), ...(o.workDir ? { workDir: o.workDir } : {}),
    });
    summary(r.console, io);
    for (const [sat, counts] of Object.entries(r.satCounts)) {
      out(`  ${sat} ground_commands: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    checkScriptDone(script, r.linesNotRun, r.console);
  } finally {
    offSignal();
  }
}

const DESCRIPTION = [
  'A ground console. Commands are signed with the ground station\'s Ed25519 private key and sent through the station\'s radio to one satellite, which checks the signature against ground.public_key_file in its config and refuses unsigned, wrongly signed, replayed and misaddressed commands (counted in its ground_commands metric and logged).',
  'The console prints what the station hears: each satellite\'s reply (accepted, failed or refused, with its mode and running actions), health broadcasts (decoded with --constellation-key and --members), and passes (AOS, LOS). Satellites hear the station only when in view.',
  'With --port: real time, on a path served by `fsw emulate` (the ground station line) or a radio\'s serial port; commands from stdin, one per line, or from --script. With --scenario: the constellation runs in this process on virtual time and --script lines run at their "at" times.',
].join('\n\n');

export const groundCommand: CommandModule = {
  name: 'ground',
  register(program: Command, io: CliIO): Command {
    const names = builtinScenarioNames();
    const ground = program
      .command('ground')
      .summary('ground console: signed commands to satellites, their replies and telemetry')
      .description(DESCRIPTION)
      .addOption(new Option('--port <path>', 'the ground station\'s line (printed by fsw emulate as GROUND)'))
      .addOption(new Option('--scenario <name>', `run this scenario in process with the console attached (${names.join(', ')} or a file)`))
      .addOption(new Option('--key <file>', 'the ground private key (PKCS#8 PEM from fsw ground keygen); needed with --port; a run makes one if absent'))
      .addOption(new Option('--constellation-key <file>', 'the constellation key file, to decode health broadcasts (with --port; a run knows it)'))
      .addOption(new Option('--members <ids>', 'the constellation\'s member list in order, with --constellation-key').argParser(listArg('satellite id')))
      .addOption(new Option('--script <file>', 'run the command lines of this file (see below) instead of reading stdin'))
      .addOption(new Option('--counter-file <file>', 'where the command counter is kept (default: KEY.counter)'))
      .addOption(new Option('--baud <n>', 'baud rate with --port').argParser(baudArg).default(DEFAULT_BAUD))
      .addOption(new Option('--duration <s>', 'virtual seconds to run with --scenario (default: the scenario\'s duration_s)').argParser(secondsArg))
      .addOption(new Option('--sats <n>', 'number of satellites with --scenario').argParser(satsArg))
      .addOption(new Option('--seed <n>', 'random seed with --scenario').argParser(seedArg))
      .addOption(new Option('--summary-every <s>', 'seconds between telemetry summaries').argParser(secondsArg).default(60))
      .addOption(new Option('--reply-timeout <s>', 'seconds to wait for a reply before saying none came').argParser(secondsArg).default(10))
      .addOption(new Option('--work-dir <dir>', 'with --scenario: keep journals and keys here (default: a temporary directory)'))
      .addHelpText(
        'after',
        `
${CONSOLE_HELP}

Examples:
  fsw ground keygen --out ~/.fsw        # ground.key (0600) and ground.pub
  fsw ground --port /tmp/sats/GROUND --key ~/.fsw/ground.key
  fsw ground --port /tmp/sats/GROUND --key ~/.fsw/ground.key --script pass.txt
  fsw ground --scenario nominal --script pass.txt --duration 1500

The summary line counts every sent command once: accepted + failed + refused +
unanswered (+ "pending at end": no reply yet when the console stopped) = sent.
"not sent" (the station's radio refused the packet) and "other replies" (late,
or to another console) are outside it.

Exit status: 0 ok, 1 failure (the port would not open; a script that did not all
go out: stopped early, or the radio refused a command), 2 bad usage (missing or
unreadable key, a bad script line, "at" times out of order or not before
--duration, --port with --scenario).`,
      )
      .action(async (opts: GroundOptions) => {
        await runGround(opts, io);
      });
    ground
      .command('keygen')
      .summary('make a ground key pair')
      .description('Writes DIR/ground.key (the Ed25519 private key, PKCS#8 PEM, mode 0600: keep it on the ground) and DIR/ground.pub (SPKI PEM: put it on every satellite and name it in the agent config as ground.public_key_file). Never overwrites a key.')
      // Not requiredOption: commander checks required options before unknown ones, so
      // `keygen --bogus` would say --out is missing instead of naming --bogus.
      .addOption(new Option('--out <dir>', 'directory for ground.key and ground.pub (required; made if missing, in an existing parent)'))
      .addHelpText(
        'after',
        `
Examples:
  fsw ground keygen --out ~/.fsw  # ground.key (0600) and ground.pub in ~/.fsw
  # ./keys made; copy keys/ground.pub to every satellite
  fsw ground keygen --out keys

Exit status: 0 the pair was written; 1 failure (a ground.key or ground.pub is
already there: remove the old key or choose another --out; a file could not be
written); 2 bad usage (no --out, --out exists and is not a directory or cannot
be made, its parent is missing or not writable).`,
      )
      .action((opts: { out?: string }) => {
        if (!opts.out) throw new UsageError('--out DIR is needed: the directory for ground.key and ground.pub (e.g. --out ~/.fsw)');
        const { privatePath, publicPath } = writeGroundKeyPair(opts.out);
        io.out(`wrote ${privatePath} (private, mode 0600) and ${publicPath} (public)\nagent config:\n  ground:\n    public_key_file: ${publicPath}\n`);
      });
    return ground;
  },
};
