import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DROP_REASONS, ERROR_CODES, FrameError, HalError, isHalError, RemoteError, TimeoutError, WIRE_ERROR_CODES,
} from '../../hal/index.js';
import { ROOT as root, sourceFiles } from '../helpers/build.js';

const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const registered = Object.keys(ERROR_CODES).sort();

/** Rows of the markdown table whose first cell is a code: code → the other cells. */
function docRows(): Map<string, string[]>[] {
  const rows = new Map<string, string[]>();
  const dup: string[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`(E_[A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    if (rows.has(m[1]!)) dup.push(m[1]!);
    rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  return [rows, new Map(dup.map((d) => [d, []]))];
}


describe('docs/errors.md and the ERROR_CODES registry', () => {
  it('the table has exactly one row per registered code, no more, no less', () => {
    const [rows, dups] = docRows();
    expect([...dups!.keys()]).toEqual([]);
    expect([...rows!.keys()].sort()).toEqual(registered);
  });

  it('every row gives a meaning and where the code is raised', () => {
    const [rows] = docRows();
    for (const [code, cells] of rows!) {
      expect(cells, code).toHaveLength(2);
      for (const c of cells) expect(c.length, code).toBeGreaterThan(10);
    }
  });

  it('the page explains every wire refusal code and every drop reason', () => {
    for (const c of [...WIRE_ERROR_CODES, ...DROP_REASONS]) expect(doc).toContain(`\`${c}\``);
  });

  it("every 'E_…' string literal in hal/, firmware-agent/, emulator/ and tools/ is a registered code", () => {
    const files = sourceFiles(['hal', 'firmware-agent', 'emulator', 'tools']);
    expect(files.length).toBeGreaterThan(10);
    const unknown = new Set<string>();
    let seen = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(['"`])(E_[A-Z0-9_]+)\1/g)) {
        seen++;
        if (!Object.hasOwn(ERROR_CODES, m[2]!)) unknown.add(`${relative(root, f)}: ${m[2]}`);
      }
    }
    expect(seen).toBeGreaterThan(10); // the scan does find the codes in use
    expect([...unknown]).toEqual([]);
  });

  it('codes are E_ + upper snake case, each with a one-line description', () => {
    for (const [code, text] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^E_[A-Z]+(_[A-Z]+)+$/);
      expect(text.length).toBeGreaterThan(10);
      expect(text).not.toContain('\n');
    }
  });
});

describe('error classes', () => {
  it('HalError carries its code, the registry text as default message, and detail', () => {
    const e = new HalError('E_LINK_OPEN', undefined, { port: '/dev/ttyUSB0' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('HalError');
    expect(e.code).toBe('E_LINK_OPEN');
    expect(e.message).toBe(ERROR_CODES.E_LINK_OPEN);
    expect(e.detail).toEqual({ port: '/dev/ttyUSB0' });
    expect(new HalError('E_LINK_OPEN', 'custom').message).toBe('custom');
  });

  it('RemoteError is E_REMOTE_REFUSED with the wire code kept (in the field and the detail)', () => {
    const e = new RemoteError('busy', 'radio queue full', { seq: 7 });
    expect(e).toBeInstanceOf(HalError);
    expect(e.name).toBe('RemoteError');
    expect(e.code).toBe('E_REMOTE_REFUSED');
    expect(e.remoteCode).toBe('busy');
    expect(e.detail).toEqual({ seq: 7, remoteCode: 'busy' });
  });

  it('TimeoutError and FrameError are HalErrors with their names', () => {
    const t = new TimeoutError('E_HANDSHAKE_TIMEOUT', 'no hello');
    const f = new FrameError('E_BODY_CBOR', 'tag 1');
    expect([t.name, t.code]).toEqual(['TimeoutError', 'E_HANDSHAKE_TIMEOUT']);
    expect([f.name, f.code]).toEqual(['FrameError', 'E_BODY_CBOR']);
    expect(isHalError(t) && isHalError(f)).toBe(true);
    expect(isHalError(new Error('plain'))).toBe(false);
    expect(isHalError({ code: 'E_LINK_DOWN' })).toBe(false);
  });
});
