import { describe, expect, it } from 'vitest';
import { clip, renderFrame, renderHeadline, renderPlainProgress, renderProgress, renderTable, type SatRow } from '../../../tools/view/render.js';
import { renderSummary } from '../../../tools/view/summary.js';
import { summaryFixture } from '../report/fixture.js';

const row = (over: Partial<SatRow> = {}): SatRow => ({
  id: 'SAT-1',
  on: true,
  mode: 'nominal',
  role: 'leader',
  term: 3,
  soc: 0.8234,
  hottestC: 31.26,
  lit: true,
  lastDecision: 'heater_off (battery_warm)',
  actionsEnded: 5,
  actionsDone: 4,
  constAssigned: 2,
  constDone: 1,
  ...over,
});

describe('live view rendering (pure)', () => {
  it('progress bar: fill proportional to virtual time, percent, times, achieved speed', () => {
    const s = renderProgress({ virtualS: 2850, durationS: 5700, wallS: 10, speed: 'max' }, 10);
    expect(s).toBe('[█████░░░░░]  50%  t=47 min 30 s of 1 h 35 min  10.0 s wall  speed max (x285)');
    expect(renderProgress({ virtualS: 0, durationS: 60, wallS: 0, speed: 'x10' }, 4)).toBe('[░░░░]   0%  t=0.0 s of 1 min 00 s  0.0 s wall  speed x10');
    // Past the end (a last step overshooting) never draws more than the bar.
    expect(renderProgress({ virtualS: 70, durationS: 60, wallS: 1, speed: 'max' }, 4)).toMatch(/^\[████\] 100%/);
  });

  it('plain progress line keeps the historical format', () => {
    expect(renderPlainProgress({ virtualS: 600, durationS: 5700, wallS: 2.24, speed: 'max' })).toBe('[ 11%] t=10 min 00 s  (2.2 s wall)');
  });

  it('table: a header and one fixed-width row per satellite, in the order given', () => {
    const lines = renderTable([row(), row({ id: 'SAT-2', role: 'follower', lit: false, lastDecision: null, actionsEnded: 0, actionsDone: 0, constAssigned: 0, constDone: 0 })]);
    expect(lines).toEqual([
      '  SAT    MODE       ROLE            SOC   HOTTEST  SUN      ACTIONS  CONST  LAST DECISION',
      '  SAT-1  nominal    leader t3      0.82   31.3 °C  sun          4/5    1/2  heater_off (battery_warm)',
      '  SAT-2  nominal    follower t3    0.82   31.3 °C  eclipse        -      -  -',
    ]);
  });

  it('table: a powered-off satellite shows off, a solo agent no term, long ids widen the first column', () => {
    const [, off, solo] = renderTable([row({ id: 'LONGSAT-10', on: false }), row({ role: 'solo', term: null })]);
    expect(off).toMatch(/^ {2}LONGSAT-10 {2}off {8}- {13}/);
    expect(solo).toMatch(/^ {2}SAT-1 {7}nominal {4}solo {11}0\.82/);
  });

  it('headline names the leader and its term, or says there is none', () => {
    expect(renderHeadline({ leader: 'SAT-2', term: 4, decisions: 7, safeEntries: 1, divergences: 0 })).toBe('leader SAT-2 (term 4) · decisions 7 · safe-mode entries 1 · divergences 0');
    expect(renderHeadline({ leader: undefined, term: null, decisions: 0, safeEntries: 0, divergences: 2 })).toMatch(/^no leader · /);
  });

  it('frame = progress, headline, table', () => {
    const f = renderFrame({ virtualS: 1, durationS: 2, wallS: 1, speed: 'max' }, { leader: 'SAT-1', term: 1, decisions: 0, safeEntries: 0, divergences: 0 }, [row()]);
    expect(f).toHaveLength(4);
    expect(f[0]).toMatch(/^\[/);
    expect(f[1]).toMatch(/^ {2}leader SAT-1/);
    expect(f[2]).toMatch(/^ {2}SAT /);
  });

  it('clip cuts to the width with an ellipsis and leaves short lines alone', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });

  it('summary: every figure the issue asks for', () => {
    const text = renderSummary(summaryFixture());
    expect(text).toContain('summary: 30 min 00 s virtual in 4.2 s wall (speed max)');
    expect(text).toContain('decisions 9, actions done 8 (incl. safe-mode sequences and constellation actions), failed 1');
    expect(text).toContain('safe-mode entries 1, agent restarts 1');
    expect(text).toContain('leader SAT-2, leader changes seen 1, decision divergences 0');
    expect(text).toContain('compliance: 2 constellation actions, 5/6 targets completed (83.3 %)');
    expect(text).toContain('cycle latency (CPU time per cycle) p50 22 µs, p99 73 µs (worst satellite), slips 0 (cycles over the 20 ms budget in host CPU time)');
    expect(text).not.toContain('interrupted');
    expect(text).toContain('frames dropped: escape 0, crc 1, oversize 0, cbor 0, schema 0');
    expect(text).toContain('ISL packets dropped by the governor: critical 0, report 0, health 2, bulk 0');
    expect(renderSummary(summaryFixture({ compliance: { commands: 0, targets: 0, completed: 0 } }))).toContain('compliance: no constellation actions');
    expect(renderSummary(summaryFixture({ compliance: { commands: 1, targets: 3, completed: 3 } }))).toContain('1 constellation action, 3/3 targets completed (100.0 %)');
  });

  it('summary of an interrupted run: its first line says where it stopped, of how long', () => {
    const text = renderSummary(summaryFixture({ virtualS: 58, durationS: 3000, interrupted: 'SIGINT' }));
    expect(text.split('\n')[1]).toBe('summary: interrupted (SIGINT) at t=58.0 s of 50 min 00 s, a partial run: 58.0 s virtual in 4.2 s wall (speed max)');
  });
});
