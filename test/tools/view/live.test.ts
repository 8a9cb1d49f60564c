import { describe, expect, it } from 'vitest';
import { ANSI, PlainView, TerminalView } from '../../../tools/view/live.js';
import { paceDelayMs, parseSpeed, SPEED_MAX, stepSeconds } from '../../../tools/view/pace.js';

/** A fake terminal: records every write, and a wall clock the test moves. */
function fakeStream(): { writes: string[]; write: (s: string) => void } {
  const writes: string[] = [];
  return { writes, write: (s) => void writes.push(s) };
}

describe('TerminalView (in-place redraw)', () => {
  it('first frame hides the cursor; later frames move up over the previous one and erase; the end shows the cursor', () => {
    const out = fakeStream();
    let now = 0;
    const v = new TerminalView(out, { columns: 80, now: () => now });
    v.tick(1, () => ['a', 'b', 'c']);
    now += 200;
    v.tick(2, () => ['d', 'e']);
    now += 200;
    v.finish(() => ['f', 'g', 'h', 'i']);
    const EL = '\x1b[2K'; // erase the line, then write it
    const ED = '\x1b[J'; // erase what is left below (a shorter frame than the last)
    expect(out.writes).toEqual([
      `${ANSI.hideCursor}${EL}a\n${EL}b\n${EL}c\n${ED}`,
      `\x1b[3F${EL}d\n${EL}e\n${ED}`, // up 3 (the lines of the first frame)
      `\x1b[2F${EL}f\n${EL}g\n${EL}h\n${EL}i\n${ED}`, // up 2 (the second frame)
      ANSI.showCursor,
    ]);
  });

  it('redraws at most once per minIntervalMs of wall time, and renders only the frames it draws', () => {
    const out = fakeStream();
    let now = 0;
    let rendered = 0;
    const v = new TerminalView(out, { minIntervalMs: 150, now: () => now });
    for (let i = 0; i < 100; i++) {
      v.tick(i, () => (rendered++, ['x']));
      now += 10; // 100 ticks over 1 s of wall time
    }
    expect(v.redraws).toBe(7); // at 0, 150, 300, …, 900 ms
    expect(rendered).toBe(7);
  });

  it('cuts lines to the terminal width so none wraps (a wrapped line would break the cursor arithmetic)', () => {
    const out = fakeStream();
    const v = new TerminalView(out, { columns: 20, now: () => 0 });
    v.tick(0, () => ['x'.repeat(50), 'short']);
    expect(out.writes[0]).toBe(`${ANSI.hideCursor}\x1b[2K${'x'.repeat(18)}…\n\x1b[2Kshort\n\x1b[J`);
  });
});

describe('PlainView (not a terminal)', () => {
  it('prints a frame each time virtual time reaches a multiple of every, and the end once', () => {
    const out = fakeStream();
    const v = new PlainView(out, 60);
    for (const t of [20, 40, 60, 80, 100, 120, 130]) v.tick(t, () => [`t=${t}`]);
    v.finish(() => ['end'], 130);
    expect(out.writes).toEqual(['t=60\n', 't=120\n', 'end\n']);
    expect(out.writes.join('')).not.toContain('\x1b');
  });

  it('does not print the last frame twice when the run ends on a step', () => {
    const out = fakeStream();
    const v = new PlainView(out, 60);
    v.tick(60, () => ['t=60']);
    v.finish(() => ['again'], 60);
    expect(out.writes).toEqual(['t=60\n']);
  });

  it('a step that jumps several multiples prints once', () => {
    const out = fakeStream();
    const v = new PlainView(out, 10);
    v.tick(35, () => ['a']);
    v.tick(39, () => ['b']);
    v.tick(40, () => ['c']);
    expect(out.writes).toEqual(['a\n', 'c\n']);
  });
});

describe('--speed pacing', () => {
  it('parses max, realtime and xK; refuses anything else naming the allowed values', () => {
    expect(parseSpeed(' MAX ')).toBe(SPEED_MAX);
    expect(parseSpeed('realtime').factor).toBe(1);
    expect(parseSpeed('x2.5')).toEqual({ factor: 2.5, label: 'x2.5' });
    for (const bad of ['', 'fast', 'x', 'x0', 'x-1', '5', 'x1e3', 'x2000000', '10x']) {
      expect(() => parseSpeed(bad), bad).toThrow(/must be max \(as fast as possible\), realtime, or xK/);
    }
  });

  it('waits so that virtual time never runs ahead of factor × wall time', () => {
    expect(paceDelayMs(parseSpeed('realtime'), 1000, 250)).toBe(750);
    expect(paceDelayMs(parseSpeed('x10'), 1000, 50)).toBe(50);
    expect(paceDelayMs(parseSpeed('x10'), 1000, 500)).toBe(0); // behind: no wait, catch up
    expect(paceDelayMs(SPEED_MAX, 1e9, 0)).toBe(0);
  });

  it('steps: 5 virtual seconds at max; about 20 per wall second when paced', () => {
    expect(stepSeconds(SPEED_MAX)).toBe(5);
    expect(stepSeconds(parseSpeed('realtime'))).toBe(0.1);
    expect(stepSeconds(parseSpeed('x10'))).toBe(0.5);
    expect(stepSeconds(parseSpeed('x1000'))).toBe(5);
  });
});

describe('TerminalView on a short terminal', () => {
  it('cuts a frame taller than the screen and says how many lines it left out', () => {
    const out = fakeStream();
    let now = 0;
    const v = new TerminalView(out, { rows: 6, now: () => now });
    const frame = (): string[] => Array.from({ length: 10 }, (_, i) => `line ${i}`);
    v.tick(0, frame);
    now += 500;
    v.tick(1, frame);
    expect(out.writes[0]!.replaceAll('\x1b[2K', '')).toBe(`${ANSI.hideCursor}line 0\nline 1\nline 2\nline 3\n  … 6 more lines (a taller terminal shows them)\n\x1b[J`);
    expect(out.writes[1]!.startsWith('\x1b[5F')).toBe(true); // up over the 5 lines drawn, not the 10 of the frame
  });
});
