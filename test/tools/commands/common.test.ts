import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDirArg, checkFileArg, prepareDirArg, UsageError } from '../../../tools/commands/common.js';
import { fswInProcess as fsw } from '../../helpers/cli.js';
import { tempFiles } from '../../helpers/tmp.js';

const tmp = tempFiles('fsw-common-');

function usageMessage(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
}

describe('checkFileArg, checkDirArg', () => {
  const file = tmp.file('capture.bin', 'bytes');
  const dir = join(tmp.dir, 'adir');
  mkdirSync(dir);

  it('a file argument: accepts a file; a directory or a missing path is a UsageError naming the argument', () => {
    expect(() => checkFileArg(file, 'FILE', 'a capture file')).not.toThrow();
    expect(usageMessage(() => checkFileArg(dir, 'FILE', 'a capture file'))).toBe(`FILE ${dir} is a directory: give a capture file`);
    expect(usageMessage(() => checkFileArg(join(dir, 'none'), 'FILE', 'a capture file'))).toBe(`FILE ${join(dir, 'none')}: no such file (give a capture file)`);
  });

  it('a directory option: accepts a directory or one that can be made; a file in the way is a UsageError', () => {
    expect(() => checkDirArg('--pty-dir', dir, { what: 'a directory' })).not.toThrow();
    expect(() => checkDirArg('--pty-dir', join(dir, 'new', 'deeper'), { what: 'a directory' })).not.toThrow();
    expect(existsSync(join(dir, 'new'))).toBe(false); // a check only: nothing made
    expect(usageMessage(() => checkDirArg('--pty-dir', file, { what: 'a directory' }))).toBe(`--pty-dir ${file}: exists and is not a directory (give a directory)`);
    expect(usageMessage(() => checkDirArg('--pty-dir', join(file, 'sub'), { what: 'a directory' }))).toMatch(`${file} exists and is not a directory`);
  });

  it('prepareDirArg makes the missing levels; with parents: false only the last one may be missing', () => {
    const deep = join(dir, 'made', 'here');
    expect(checkDirArg('--work-dir', deep)).toEqual([join(dir, 'made'), deep]);
    expect(usageMessage(() => prepareDirArg('--out', deep, { parents: false }))).toBe(`--out ${deep}: its parent ${join(dir, 'made')} does not exist (create it first: only the last directory is made)`);
    expect(existsSync(join(dir, 'made'))).toBe(false);
    prepareDirArg('--work-dir', deep);
    expect(existsSync(deep)).toBe(true);
    expect(checkDirArg('--work-dir', deep)).toEqual([]);
  });
});

describe('commands using it: a wrong path is bad usage (exit 2) naming the option or argument', () => {
  it('fsw decode DIR (was EISDIR, exit 1)', async () => {
    const dir = join(tmp.dir, 'captures');
    mkdirSync(dir);
    const r = await fsw(['decode', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`fsw decode: error: FILE ${dir} is a directory: give a capture file or a flight recording`);
  });

  it('fsw emulate --pty-dir FILE (was EEXIST from mkdir, exit 1), before anything is served', async () => {
    const file = tmp.file('garbage.bin', 'x');
    const r = await fsw(['emulate', '--pty-dir', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`fsw emulate: error: --pty-dir ${file}: exists and is not a directory`);
    expect(r.stdout).toBe('');
  });
});
