import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { EVENT_CODES, isEventCode } from '../../../firmware-agent/observability/log.js';
import {
  ACTION_OUTCOMES, BREAKER_STATES, CYCLE_PHASES, DECISION_TYPES, HEALTH_RESULTS, METRIC_FAMILIES, MODE_NAMES, PRIORITY_CLASSES, SWARM_ROLES, type FamilyDef,
} from '../../../firmware-agent/observability/metrics.js';
import { PHASES } from '../../../firmware-agent/cycle/cycle-runner.js';
import { MODES, type Decision } from '../../../firmware-agent/decide/types.js';
import { PRIORITIES, ROLES } from '../../../firmware-agent/swarm/messages.js';
import type { BreakerState } from '../../../firmware-agent/actions/breaker.js';
import type { ActionState } from '../../../firmware-agent/actions/action-machine.js';
import type { ComponentHealth } from '../../../firmware-agent/health/health-monitor.js';
import { ROOT as root, sourceFiles } from '../../helpers/build.js';



/**
 * Event codes passed as a literal first argument to a logger method:
 * `.event('X'`, `.warn("X"`, `.error(`X``, `.debug('X'` (whitespace and line breaks allowed).
 */
const EVENT_CALL = /\.(?:event|warn|error|debug)\(\s*(['"`])([A-Za-z0-9_]+)\1/g;
function eventCodesIn(text: string): string[] {
  return [...text.matchAll(EVENT_CALL)].map((m) => m[2]!).filter((c) => /^[A-Z]/.test(c));
}

describe('the event-code registry', () => {
  it('the scanner finds codes in every call form', () => {
    const sample = [
      "log.event('MODE_CHANGE', { from, to });",
      'this.log.warn("CYCLE_SLIP", f);',
      'log.error(`ACTION_FAILED`);',
      "log\n  .debug(\n    'LINK_STATE',\n    {},\n  );",
      "console.error('plain message')", // not a code: lower case
      "logger.info('NOT_OURS')", // info is not our method
    ].join('\n');
    expect(eventCodesIn(sample)).toEqual(['MODE_CHANGE', 'CYCLE_SLIP', 'ACTION_FAILED', 'LINK_STATE']);
  });

  it('every code logged in firmware-agent/ is registered', () => {
    const files = sourceFiles(['firmware-agent']);
    expect(files.length).toBeGreaterThan(5);
    const unknown: string[] = [];
    for (const f of files) {
      for (const code of eventCodesIn(readFileSync(f, 'utf8'))) {
        if (!isEventCode(code)) unknown.push(`${relative(root, f)}: ${code}`);
      }
    }
    expect(unknown, 'add these to EVENT_CODES in firmware-agent/observability/events.ts').toEqual([]);
  });

  it('codes are UPPER_SNAKE_CASE with a one-line description', () => {
    const codes = Object.keys(EVENT_CODES);
    expect(codes.length).toBeGreaterThan(10);
    for (const [code, text] of Object.entries(EVENT_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(code.startsWith('E_'), `${code}: E_ is the error-code namespace`).toBe(false);
      expect(text.length, code).toBeGreaterThan(10);
      expect(text, code).not.toContain('\n');
    }
    expect(isEventCode('MODE_CHANGE')).toBe(true);
    expect(isEventCode('toString')).toBe(false);
  });
});

describe('METRICS.md and the METRIC_FAMILIES catalogue', () => {
  const doc = readFileSync(join(root, 'firmware-agent/observability/METRICS.md'), 'utf8');
  const rows = new Map<string, string[]>();
  const dups: string[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`([a-z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    if (rows.has(m[1]!)) dups.push(m[1]!);
    rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  const families = Object.entries(METRIC_FAMILIES) as [string, FamilyDef][];

  it('one row per family, no more, no less', () => {
    expect(dups).toEqual([]);
    expect([...rows.keys()].sort()).toEqual(families.map(([n]) => n).sort());
  });

  it('each row gives the type, unit, label (with its values, and whether open) and a meaning', () => {
    for (const [name, def] of families) {
      const [type, unit, label, meaning] = rows.get(name) ?? [];
      expect(type, name).toBe(def.type);
      expect(unit, name).toBe(def.unit);
      if (def.label === undefined) {
        expect(label, name).toBe('—');
      } else {
        expect(label, name).toMatch(new RegExp(`^\`${def.label}\``));
        for (const v of def.values ?? []) expect(label, `${name}: ${v}`).toMatch(new RegExp(`\\b${v}\\b`));
        expect(/\(open\)/.test(label ?? ''), `${name}: says (open) iff open`).toBe(def.open === true);
      }
      expect(meaning?.length ?? 0, name).toBeGreaterThan(15);
    }
  });

  it('every family has help text and a unit-bearing name when it measures time', () => {
    for (const [name, def] of families) {
      expect(def.help.length, name).toBeGreaterThan(10);
      if (def.type === 'histogram') expect(name.endsWith(`_${def.unit}`), name).toBe(true);
    }
  });
});

describe('label values agree with the components that produce them', () => {
  it('cycle phases and modes (runtime lists)', () => {
    expect([...CYCLE_PHASES]).toEqual([...PHASES]);
    expect([...MODE_NAMES]).toEqual([...MODES]);
    expect([...SWARM_ROLES]).toEqual([...ROLES]);
    expect([...PRIORITY_CLASSES]).toEqual([...PRIORITIES]);
  });

  it('decision types, breaker states, action outcomes and health results (types)', () => {
    expectTypeOf<(typeof DECISION_TYPES)[number]>().toEqualTypeOf<Decision['type']>();
    expectTypeOf<(typeof BREAKER_STATES)[number]>().toEqualTypeOf<BreakerState>();
    expectTypeOf<Extract<ActionState, 'done' | 'failed' | 'timed_out'>>().toExtend<(typeof ACTION_OUTCOMES)[number]>();
    expectTypeOf<(typeof HEALTH_RESULTS)[number]>().toEqualTypeOf<Exclude<ComponentHealth, 'ok'>>();
  });
});
