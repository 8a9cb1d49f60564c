import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComplianceLedger, EscalationBook, type ReportOutcome } from '../../../../firmware-agent/swarm/compliance.js';

const rep = (cid: string, from: string, outcome: ReportOutcome, at = 0) => ({ cid, from, outcome, reason: outcome === 'completed' ? '' : 'why', at, term: 1 });

describe('compliance ledger', () => {
  it('counts completed targets only; early reports count once the targets are known; non-targets never', () => {
    const l = new ComplianceLedger();
    l.record(rep('c1', 'A', 'completed'));
    l.record(rep('c1', 'Z', 'completed')); // not a target
    expect(l.compliance('c1')).toBeUndefined();
    l.setTargets('c1', ['A', 'B', 'C', 'D']);
    l.record(rep('c1', 'B', 'partial'));
    l.record(rep('c1', 'C', 'failed'));
    expect(l.compliance('c1')).toEqual({ cid: 'c1', targets: 4, completed: 1, partial: 1, failed: 1, missing: 1, ratio: 0.25 });
    expect(l.recount('c1')).toEqual(l.compliance('c1'));
    expect(l.nonCompliant('c1')).toEqual([
      { id: 'B', reason: 'partial: why' },
      { id: 'C', reason: 'failed: why' },
      { id: 'D', reason: 'no report received' },
    ]);
    expect(l.reports('c1')).toHaveLength(4);
  });

  it('the latest report of a member is its outcome; duplicates change nothing', () => {
    const l = new ComplianceLedger();
    l.setTargets('c', ['A', 'B']);
    l.record(rep('c', 'A', 'completed'));
    l.record(rep('c', 'A', 'completed'));
    l.record(rep('c', 'B', 'partial'));
    l.record(rep('c', 'B', 'completed'));
    expect(l.compliance('c')).toMatchObject({ completed: 2, partial: 0, ratio: 1 });
    expect(l.recount('c')).toEqual(l.compliance('c'));
  });

  it('property: for any report sequence, the tracked figure equals the recount', () => {
    const ids = ['A', 'B', 'C', 'D', 'E'];
    fc.assert(
      fc.property(
        fc.subarray(ids, { minLength: 1 }),
        fc.array(fc.tuple(fc.constantFrom('c1', 'c2'), fc.constantFrom(...ids), fc.constantFrom<ReportOutcome>('completed', 'partial', 'failed'))),
        fc.nat({ max: 30 }),
        (targets, reports, when) => {
          const l = new ComplianceLedger();
          reports.forEach(([cid, from, o], i) => {
            if (i === when) l.setTargets('c1', targets);
            l.record(rep(cid, from, o, i));
          });
          l.setTargets('c1', targets);
          expect(l.compliance('c1')).toEqual(l.recount('c1'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forget drops a command and its reports', () => {
    const l = new ComplianceLedger();
    l.setTargets('a', ['A']);
    l.setTargets('b', ['A']);
    l.record(rep('a', 'A', 'completed'));
    l.record(rep('b', 'A', 'completed'));
    l.forget('a');
    expect(l.reports().map((r) => r.cid)).toEqual(['b']);
    expect(l.compliance('a')).toBeUndefined();
    expect(l.size).toBe(1);
  });
});

describe('escalation book', () => {
  it('counts distinct commands per member; a promotion clears the record', () => {
    const b = new EscalationBook();
    b.escalate('c1', ['A', 'B']);
    b.escalate('c1', ['A']); // a second verdict for the same command counts once
    b.escalate('c2', ['A']);
    expect(b.count('A')).toBe(2);
    expect(b.count('B')).toBe(1);
    b.demote('A');
    expect(b.demoted()).toEqual(['A']);
    b.promote('A');
    expect(b.count('A')).toBe(0);
    expect(b.isDemoted('A')).toBe(false);
  });
});
