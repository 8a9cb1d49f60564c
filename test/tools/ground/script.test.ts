import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandCounter, CounterFileError } from '../../../tools/ground/counter.js';
import { checkScriptEnd, CommandLineError, parseConsoleLine, parseScript, tokenize } from '../../../tools/ground/script.js';

describe('console command lines', () => {
  it('parses each command', () => {
    expect(parseConsoleLine('pause SAT-2')).toEqual({ kind: 'command', sat: 'SAT-2', cmd: { op: 'pause' } });
    expect(parseConsoleLine('  resume  SAT-2 ')).toEqual({ kind: 'command', sat: 'SAT-2', cmd: { op: 'resume' } });
    expect(parseConsoleLine('status SAT-1')).toEqual({ kind: 'command', sat: 'SAT-1', cmd: { op: 'status' } });
    expect(parseConsoleLine('cancel SAT-2 228ebb467467c60a')).toEqual({ kind: 'command', sat: 'SAT-2', cmd: { op: 'cancel', id: '228ebb467467c60a' } });
    expect(parseConsoleLine('mode SAT-2 safe "battery below 20 %"')).toEqual({ kind: 'command', sat: 'SAT-2', cmd: { op: 'mode', mode: 'safe', reason: 'battery below 20 %' } });
    expect(parseConsoleLine('mode SAT-2 nominal')).toEqual({ kind: 'command', sat: 'SAT-2', cmd: { op: 'mode', mode: 'nominal', reason: '' } });
    expect(parseConsoleLine('propose SAT-1 payload_throttle duty=0.3 force=true note=x')).toEqual({
      kind: 'command', sat: 'SAT-1', cmd: { op: 'propose', action: 'payload_throttle', params: { duty: 0.3, force: true, note: 'x' } },
    });
    expect(parseConsoleLine('help')).toEqual({ kind: 'help' });
    expect(parseConsoleLine('quit')).toEqual({ kind: 'quit' });
    expect(parseConsoleLine('   # only a comment')).toEqual({ kind: 'empty' });
  });

  it('says what is wrong with a bad line', () => {
    const bad = (line: string, why: RegExp) => expect(() => parseConsoleLine(line)).toThrow(why);
    bad('launch SAT-1', /unknown command "launch"/);
    bad('pause', /pause needs a satellite id/);
    bad('pause SAT-1 now', /unexpected "now"/);
    bad('cancel SAT-1', /cancel needs an action id/);
    bad('mode SAT-1 boot', /mode needs one of nominal, degraded, safe, recovery, not "boot"/);
    bad('mode SAT-1 safe "unclosed', /unbalanced double quote/);
    bad('propose SAT-1', /propose needs an action name/);
    bad('propose SAT-1 payload_off =3', /must be key=value/);
    bad('pause SAT/1', /not a satellite id/);
    expect(() => parseConsoleLine('launch')).toThrow(CommandLineError);
  });

  it('quotes group words and keep a # inside them', () => {
    expect(tokenize('mode SAT-1 safe "a # b" # tail')).toEqual(['mode', 'SAT-1', 'safe', 'a # b']);
  });

  it('a script: at-times, comments, blank lines; a bad line is named by its number', () => {
    const lines = parseScript('# pass 1\n\nat 120 pause SAT-1\nstatus SAT-1\nat 130.5 resume SAT-1 # done\nquit\n');
    expect(lines.map((l) => [l.line, l.at, l.kind === 'command' ? l.cmd.op : l.kind])).toEqual([
      [3, 120, 'pause'], [4, undefined, 'status'], [5, 130.5, 'resume'], [6, undefined, 'quit'],
    ]);
    expect(() => parseScript('pause SAT-1\nfly SAT-1\n')).toThrow(/^line 2: unknown command "fly"/);
    expect(() => parseScript('at -1 pause SAT-1')).toThrow(/line 1: "at -1": the time must be seconds >= 0/);
    expect(() => parseScript('at 5')).toThrow(/line 1: "at" needs a command/);
  });

  it('lines run in file order: an "at" below an earlier one, or a line after quit, is refused naming the line', () => {
    expect(() => parseScript('at 50 status SAT-1\nstatus SAT-2\nat 30 status SAT-1\n')).toThrow(/^line 3: "at 30" is earlier than line 1's "at 50": lines run in file order, so sort them by time/);
    expect(() => parseScript('status SAT-1\nquit\n# fine\npause SAT-1\n')).toThrow(/^line 4: comes after "quit" on line 2, so it would never run/);
    // Equal times, and lines without one between, are in order.
    expect(parseScript('at 5 pause SAT-1\nstatus SAT-1\nat 5 resume SAT-1\nat 6 quit\n')).toHaveLength(4);
  });

  it('with a run\'s end: an "at" at or after it is refused naming the line', () => {
    const script = parseScript('at 30 status SAT-1\nat 500 status SAT-1\n');
    expect(() => checkScriptEnd(script, 60)).toThrow(CommandLineError);
    expect(() => checkScriptEnd(script, 60)).toThrow(/^line 2: "at 500" is not before the end of the run \(60 s/);
    expect(() => checkScriptEnd(parseScript('at 60 status SAT-1'), 60)).toThrow(/^line 1:/);
    expect(() => checkScriptEnd(script, 501)).not.toThrow();
  });
});

describe('the console command counter', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'ground-counter-'));

  it('starts at the wall clock in ms, goes up by one, and is on disk (0600) before it is used', () => {
    const path = join(dir(), 'c');
    let now = 5000;
    const c = new CommandCounter(path, () => now);
    expect(c.next()).toBe(5000);
    expect(readFileSync(path, 'utf8')).toBe('5000\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(c.next()).toBe(5001);
    now = 9000;
    expect(c.next()).toBe(9000);
  });

  it('never reuses a counter across restarts, even with the clock set back', () => {
    const path = join(dir(), 'c');
    new CommandCounter(path, () => 1000).next();
    const again = new CommandCounter(path, () => 10);
    expect(again.current).toBe(1000);
    expect(again.next()).toBe(1001);
  });

  it('a file that holds no counter, or cannot be written, is a typed error', () => {
    const path = join(dir(), 'c');
    writeFileSync(path, 'twelve\n');
    expect(() => new CommandCounter(path)).toThrow(CounterFileError);
    expect(() => new CommandCounter(path)).toThrow(/does not hold a counter/);
    const c = new CommandCounter(join(dir(), 'no-such-dir', 'c'));
    expect(() => c.next()).toThrow(expect.objectContaining({ code: 'E_GROUND_COUNTER' }));
  });
});
