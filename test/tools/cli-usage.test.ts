import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram, COMMANDS, joinHandBrokenLines } from '../../tools/cli.js';
import { captureIO, fswInProcess as fsw } from '../helpers/cli.js';

/**
 * Every command in COMMANDS (so every command added later too): --help exits 0 with a usage
 * line and an example; an unknown option exits 2; and one bad invocation per command exits 2
 * naming what is wrong. A command without an entry in BAD_USAGE fails this test: nobody adds
 * a command without a bad-usage test. None of these invocations gets as far as doing work.
 * `required` satisfies a command's required options, so that the unknown-option check meets
 * the unknown option and not the missing one.
 */
const BAD_USAGE: Record<string, { args: string[]; says: RegExp; required?: string[] }> = {
  run: { args: ['run', '--sats', '0'], says: /option '--sats <n>' argument '0' is invalid.*integer from 1 to 1000/ },
  emulate: { args: ['emulate', '--seed', '-1'], says: /option '--seed <n>' argument '-1' is invalid.*integer from 0 to 4294967295/ },
  agent: { args: ['agent', '--journal', 'x.journal'], says: /required option '--port <path>' not specified/, required: ['--port', '/nonexistent/tty'] },
  decode: { args: ['decode', '--baud', 'fast'], says: /option '--baud <n>' argument 'fast' is invalid/ },
  replay: { args: ['replay'], says: /missing required argument 'file'/ },
  config: { args: ['config', 'print', '--json', '--yaml'], says: /option '--json' cannot be used with option '--yaml'/ },
  bench: { args: ['bench', '--only', 'hal,,agent'], says: /option '--only <names>' argument 'hal,,agent' is invalid.*no empty entries/ },
  ground: { args: ['ground', '--summary-every', '0'], says: /option '--summary-every <s>' argument '0' is invalid.*> 0/ },
};

const names = COMMANDS.map((m) => m.name);

/** Every command and subcommand as the words typed after `fsw` (`['config', 'print']`). */
function allCommandPaths(): string[][] {
  const paths: string[][] = [];
  const visit = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      paths.push([...path, sub.name()]);
      visit(sub, [...path, sub.name()]);
    }
  };
  visit(buildProgram(captureIO().io), []);
  return paths;
}
const paths = allCommandPaths();

describe('every fsw command: help and bad usage', () => {
  it('every command in COMMANDS has a bad-usage entry here (add one with your command)', () => {
    expect(names.filter((n) => !(n in BAD_USAGE))).toEqual([]);
  });

  it.each(names)('fsw %s --help exits 0 with a usage line and an example', async (name) => {
    const r = await fsw([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: fsw ${name} `));
    expect(r.stdout).toMatch(/Examples?[^\n]*:\n\s+fsw /);
    expect(r.stderr).toBe('');
  });

  it.each(names)('fsw %s: each of its subcommands has --help too', async (name) => {
    const cmd = buildProgram(captureIO().io).commands.find((c) => c.name() === name)!;
    for (const sub of cmd.commands) {
      const r = await fsw([name, sub.name(), '--help']);
      expect(r.code, `fsw ${name} ${sub.name()} --help`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: fsw ${name} ${sub.name()} `));
    }
  });

  it.each(names)('fsw %s --no-such-option exits 2 naming the option', async (name) => {
    const r = await fsw([name, '--no-such-option', ...(BAD_USAGE[name]?.required ?? [])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-option'");
    expect(r.stdout).toBe('');
  });

  it.each(Object.entries(BAD_USAGE))('fsw %s, bad usage: exits 2 saying what is wrong', async (name, { args, says }) => {
    expect(names).toContain(name); // an entry for a command that is gone is stale
    const r = await fsw(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).toBe('');
  });

  // Commander checks required options before unknown ones (fsw agent --bogus said "required
  // option '--port <path>' not specified"); fsw reports the unknown one, for every command.
  it.each(paths.filter((p) => p.join(' ') !== 'config').map((p) => p.join(' ')))('fsw %s --bogus (nothing else): unknown option, exit 2, prefixed like fsw\'s own errors', async (path) => {
    const r = await fsw([...path.split(' '), '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fsw ${path}: error: unknown option '--bogus'\n(run 'fsw ${path} --help' for usage)\n`);
    expect(r.stdout).toBe('');
  });

  it('a missing required option is still reported, with the prefix', async () => {
    const r = await fsw(['agent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("fsw agent: error: required option '--port <path>' not specified\n(run 'fsw agent --help' for usage)\n");
  });

  it('an unknown command or top-level option has the fsw: prefix', async () => {
    for (const args of [['bogus'], ['--bogus'], ['config', 'bogus']]) {
      const r = await fsw(args);
      const prog = args[0] === 'config' ? 'fsw config' : 'fsw';
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^${prog}: error: unknown (command|option) '(--)?bogus'\n\\(run '${prog} --help' for usage\\)\n$`));
    }
  });

  // A group command with no action of its own (fsw, fsw config): commander's convention,
  // help on stderr with an error status, after a line saying a subcommand is needed.
  it.each([[[], 'fsw: error: a command is needed: run, '], [['config'], 'fsw config: error: a subcommand is needed: print\n']] as const)(
    'fsw %j with no subcommand: says one is needed, help on stderr, exit 2',
    async (args, says) => {
      const r = await fsw([...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(says)).toBe(true);
      expect(r.stderr).toContain(`Usage: ${['fsw', ...args].join(' ')} `);
    },
  );

  it.each(paths.map((p) => p.join(' ')))('fsw %s --help at 80 columns: description paragraphs wrapped once, at 80', (path) => {
    let cmd = buildProgram(captureIO().io);
    for (const name of path.split(' ')) cmd = cmd.commands.find((c) => c.name() === name)!;
    // Commander's part of the help (the after-text is printed as written), at the width it
    // uses when not on a terminal. The description is the text between the usage line and the
    // first section; a hand break ~95 columns apart re-wrapped at 80 leaves a line of a few
    // words, so: every line of a prose paragraph but its last is full (the next word would
    // not fit). Indented text (lists, tables) is printed as written.
    const lines = cmd.helpInformation({ error: false }).split('\n');
    const end = lines.findIndex((l, i) => i > 0 && /^[A-Z][a-z]+:$/.test(l));
    const description = lines.slice(2, end === -1 ? undefined : end);
    expect(description.length).toBeGreaterThan(0);
    for (const [i, line] of description.entries()) {
      if (/^\s/.test(line) || line === '') continue;
      expect(line.length, line).toBeLessThanOrEqual(80);
      const next = description[i + 1] ?? '';
      if (next !== '' && /^\S/.test(next)) expect(line.length + 1 + next.split(' ')[0]!.length, `"${line}" then "${next}"`).toBeGreaterThan(80);
    }
  });
});

// The whole help, after-text too, fits 80 columns (commander prints the after-text as
// written), for fsw itself and every command and subcommand in COMMANDS (agent's exit-status
// table, from firmware-agent/main.ts, included).
describe.each([[''], ...paths.map((p) => [p.join(' ')])])('fsw %s --help', (path) => {
  it('fits 80 columns, after-text included', async () => {
    const r = await fsw([...path.split(' ').filter(Boolean), '--help']);
    expect(r.code).toBe(0);
    const wide = r.stdout.split('\n').filter((line) => line.length > 80);
    expect(wide).toEqual([]);
  });
});

describe('joinHandBrokenLines', () => {
  it('joins the lines of a paragraph and keeps paragraphs and indented text', () => {
    expect(joinHandBrokenLines('one two\nthree\n\nfour\nfive')).toBe('one two three\n\nfour five');
    expect(joinHandBrokenLines('a list:\n  - x\n  - y\n\nprose\nmore')).toBe('a list:\n  - x\n  - y\n\nprose more');
    expect(joinHandBrokenLines('no breaks')).toBe('no breaks');
  });
});
