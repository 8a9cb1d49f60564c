/**
 * Where the live view goes. On a terminal the frame is redrawn in place (ANSI cursor movement),
 * at most a few times a second of wall time; otherwise plain lines are appended at each report
 * step, so a log file or a pipe gets readable text with no escape sequences.
 */
import { clip } from './render.js';

/** What the views write to: stdout, or a fake in tests. */
export interface ViewStream {
  write(text: string): void;
}

export interface RunView {
  /**
   * Called at every step of the run with the virtual time reached (s) and a function that
   * renders the frame's lines; the view decides whether to draw (and only then renders).
   */
  tick(virtualS: number, frame: () => string[]): void;
  /** Draws the frame at the end (`virtualS`: the time reached) and leaves the cursor below it. */
  finish(frame: () => string[], virtualS?: number): void;
}

/** Control sequences (ECMA-48). */
export const ANSI = {
  /** Cursor to the start of the line `n` lines up. */
  up: (n: number): string => `\x1b[${n}F`,
  /** Erase from the cursor to the end of the screen. */
  eraseDown: '\x1b[J',
  /** Erase the whole line the cursor is on. */
  eraseLine: '\x1b[2K',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
} as const;

export interface TerminalViewOptions {
  /** Terminal width: longer lines are cut (a wrapped line would break the cursor arithmetic). */
  columns?: number;
  /** Terminal height: a taller frame is cut (the cursor cannot move back above the top of the screen). */
  rows?: number;
  /** Least wall time between two redraws, ms (150 ms: at most ~7 redraws a second). */
  minIntervalMs?: number;
  /** Wall clock, ms (injectable for tests). */
  now?: () => number;
}

/** Redraws the frame in place: cursor up over the previous frame, erase, write the new one. */
export class TerminalView implements RunView {
  private drawnLines = 0;
  private lastDrawAt = -Infinity;
  private readonly columns: number;
  private readonly rows: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  /** Redraws so far (tests check the rate limit with it). */
  redraws = 0;

  constructor(private readonly out: ViewStream, opts: TerminalViewOptions = {}) {
    this.columns = Math.max(20, opts.columns ?? 100);
    this.rows = Math.max(4, opts.rows ?? Infinity);
    this.minIntervalMs = opts.minIntervalMs ?? 150;
    this.now = opts.now ?? (() => performance.now());
  }

  tick(_virtualS: number, frame: () => string[]): void {
    const t = this.now();
    if (t - this.lastDrawAt < this.minIntervalMs) return;
    this.lastDrawAt = t;
    this.draw(frame());
  }

  finish(frame: () => string[]): void {
    this.draw(frame());
    this.out.write(ANSI.showCursor);
    this.drawnLines = 0;
  }

  private draw(all: string[]): void {
    // One line is left for the cursor; what does not fit is counted on the last line.
    const lines = all.length < this.rows ? all : [...all.slice(0, this.rows - 2), `  … ${all.length - this.rows + 2} more lines (a taller terminal shows them)`];
    // One write per frame: the terminal never shows half a frame. Each line is erased as it is
    // rewritten and only what is left below is erased at the end: erasing the whole screen
    // from its top-left corner (a frame as tall as the screen) makes tmux and some terminals
    // push the old screen into their scrollback, a copy per redraw.
    const head = this.drawnLines > 0 ? ANSI.up(this.drawnLines) : ANSI.hideCursor;
    this.out.write(head + lines.map((l) => `${ANSI.eraseLine}${clip(l, this.columns - 1)}\n`).join('') + ANSI.eraseDown);
    this.drawnLines = lines.length;
    this.redraws++;
  }
}

/** Appends the frame as plain lines each time virtual time crosses a multiple of `everyS`. */
export class PlainView implements RunView {
  private nextAt: number;
  private printedAt = -1;

  constructor(private readonly out: ViewStream, private readonly everyS: number) {
    this.nextAt = everyS;
  }

  tick(virtualS: number, frame: () => string[]): void {
    if (virtualS + 1e-9 < this.nextAt) return;
    while (this.nextAt <= virtualS + 1e-9) this.nextAt += this.everyS;
    this.print(virtualS, frame);
  }

  /** The last frame, unless the last tick printed it already. */
  finish(frame: () => string[], virtualS?: number): void {
    if (virtualS !== undefined && virtualS === this.printedAt) return;
    this.print(virtualS ?? -1, frame);
  }

  private print(virtualS: number, frame: () => string[]): void {
    this.printedAt = virtualS;
    this.out.write(frame().map((l) => `${l}\n`).join(''));
  }
}
