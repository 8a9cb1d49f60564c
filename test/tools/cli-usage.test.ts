import { describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS } from '../../tools/cli.js';
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
});
