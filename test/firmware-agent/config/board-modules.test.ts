import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardNodeFlags } from '../../../tools/bench/child.js';
import { ensureBuilt, ROOT } from '../../helpers/build.js';

/**
 * What the board process really loads (memory: the agent's peak RSS target is 60 MB). The
 * static import-graph test in main.test.ts reads the sources; this one runs the built
 * dist/firmware-agent/main.js with a module-resolution hook and lists every ES module
 * resolved, every CommonJS file required and every node builtin, up to the point where it
 * has loaded all it needs to fly (it then fails to open a port that is not there: exit 3).
 * And the board's node flags: main.js's first line, which the built file keeps.
 */

const MAIN_JS = join(ROOT, 'dist/firmware-agent/main.js');

const tmp = mkdtempSync(join(tmpdir(), 'board-modules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  appendFileSync(process.env.FSW_LOADED_LOG, 'esm ' + r.url + '\\n');
  return r;
}`;
const PRELOAD = (hooks: string): string => `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(hooks)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(process.env.FSW_LOADED_LOG,
  [...Object.keys(cache).map((f) => 'cjs ' + f), ...process.moduleLoadList.map((m) => 'builtin ' + m)].join('\\n') + '\\n'));`;

let lines: string[] = [];
let exitCode: number | null = null;

beforeAll(async () => {
  await ensureBuilt();
  const hooks = join(tmp, 'hooks.mjs');
  const preload = join(tmp, 'preload.mjs');
  const log = join(tmp, 'loaded.txt');
  writeFileSync(hooks, HOOKS);
  writeFileSync(preload, PRELOAD(pathToFileURL(hooks).href));
  writeFileSync(log, '');
  exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(preload).href, MAIN_JS, '--port', join(tmp, 'no-such-port'), '--journal', join(tmp, 'a.journal')],
      { cwd: tmp, stdio: 'ignore', env: { ...process.env, FSW_LOADED_LOG: log } },
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('main.js did not exit within 20 s'));
    }, 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  // A module is resolved once per importer: one line each.
  lines = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}, 60_000);

const loaded = (re: RegExp): string[] => lines.filter((l) => re.test(l));

describe('what the board process loads', () => {
  it('got as far as opening the port, with the heavy modules loaded (the list is real)', () => {
    expect(exitCode).toBe(3);
    expect(loaded(/\/node_modules\/xstate\//).length).toBeGreaterThan(0);
    expect(loaded(/\/node_modules\/serialport\//).length).toBeGreaterThan(0);
    expect(loaded(/\/dist\/firmware-agent\/config\/spec\.js$/)).toHaveLength(1);
    expect(loaded(/\/hdr-histogram-js\/dist\/Int32Histogram\.js$/).length).toBeGreaterThan(0);
  });

  it('no zod (the config is checked by config/spec.ts)', () => {
    expect(loaded(/\/node_modules\/zod\//)).toEqual([]);
  });

  it("hdr-histogram-js without its index (no WebAssembly build, log codec or pako)", () => {
    expect(loaded(/\/hdr-histogram-js\/dist\/(index|HistogramBuilder|encoding)\.js$|\/hdr-histogram-js\/dist\/wasm\//)).toEqual([]);
    expect(loaded(/\/node_modules\/pako\//)).toEqual([]);
  });

  it('no node:http while the Prometheus endpoint is off (the default), no YAML parser without a YAML file', () => {
    expect(loaded(/^builtin NativeModule (http|_http_server)$/)).toEqual([]);
    expect(loaded(/\/node_modules\/yaml\//)).toEqual([]);
  });
});

describe("the board's node flags (main.js's first line)", () => {
  const firstLine = (file: string): string => readFileSync(file, 'utf8').split('\n', 1)[0]!;

  it('the built file keeps the source\'s first line, and the benchmarks read the same flags from it', () => {
    const line = firstLine(join(ROOT, 'firmware-agent/main.ts'));
    expect(line).toBe('#!/usr/bin/env -S node --max-semi-space-size=1 --lite-mode --no-expose-wasm');
    expect(firstLine(MAIN_JS)).toBe(line);
    expect(boardNodeFlags(MAIN_JS)).toEqual(['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm']);
    expect(boardNodeFlags(join(tmp, 'missing.js'))).toEqual([]);
  });

  it('this node accepts them, silently: the file run as the kernel runs it (env -S) answers --version', async () => {
    // Linux hands everything after the interpreter to it as one argument: env -S splits it.
    const [interpreter, arg] = firstLine(MAIN_JS).slice(2).split(/ (.*)/s) as [string, string];
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(interpreter, [arg, MAIN_JS, '--version'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fsw-agent\/\d+\.\d+\.\d+\n$/);
  });

  it('the build leaves main.js executable: the file itself runs, as the README tells a board to run it', () => {
    const r = spawnSync(MAIN_JS, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fsw-agent\/\d+\.\d+\.\d+\n$/);
  });
});
