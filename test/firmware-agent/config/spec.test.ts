import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../firmware-agent/config/error.js';
import {
  boolean,
  byTag,
  formatIssue,
  list,
  map,
  number,
  oneOf,
  optional,
  refine,
  show,
  text,
  withDefault,
  type Infer,
  type Input,
  type Spec,
} from '../../../firmware-agent/config/spec.js';

/** The formatted issues of a value the spec refuses (fails the test if it is accepted). */
function issues<O, I>(s: Spec<O, I>, v: unknown): string[] {
  const r = s.safeParse(v);
  if (r.success) throw new Error(`accepted ${JSON.stringify(v)}`);
  return r.issues.map(formatIssue);
}

describe('config spec kit: leaves', () => {
  it('number: bounds, integers, finiteness, with what it allows and what it got', () => {
    const hz = number({ min: 0.1, max: 100 });
    expect(hz.parse(10)).toBe(10);
    expect(hz.parse(0.1)).toBe(0.1);
    expect(hz.parse(100)).toBe(100);
    expect(issues(hz, 500)).toEqual(['(top level): expected a number in 0.1..100, got 500']);
    expect(issues(hz, 0.05)).toEqual(['(top level): expected a number in 0.1..100, got 0.05']);
    expect(issues(hz, '5')).toEqual(['(top level): expected a number in 0.1..100, got "5"']);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, null, true, [], {}]) expect(hz.safeParse(bad).success).toBe(false);
    const ms = number({ int: true, min: 10 });
    expect(issues(ms, 10.5)).toEqual(['(top level): expected an integer >= 10, got 10.5']);
    expect(issues(ms, 9)).toEqual(['(top level): expected an integer >= 10, got 9']);
    const positive = number({ gt: 0, max: 1000 });
    expect(positive.parse(0.001)).toBe(0.001);
    expect(issues(positive, 0)).toEqual(['(top level): expected a number > 0 and <= 1000, got 0']);
    expect(issues(positive, 1000.5)).toEqual(['(top level): expected a number > 0 and <= 1000, got 1000.5']);
  });

  it('text, boolean, oneOf', () => {
    expect(text().parse('')).toBe('');
    expect(issues(text({ nonEmpty: true }), '')).toEqual(['(top level): expected non-empty text, got ""']);
    const field = text({ pattern: /^[a-z_]+\.[a-z_]+$/, like: 'device.field' });
    expect(field.parse('eps.soc')).toBe('eps.soc');
    expect(issues(field, 'EPS.soc')).toEqual(['(top level): expected text like device.field, got "EPS.soc"']);
    expect(issues(field, 42)).toEqual(['(top level): expected text like device.field, got 42']);
    expect(boolean().parse(false)).toBe(false);
    expect(issues(boolean(), 'yes')).toEqual(['(top level): expected true or false, got "yes"']);
    const q = oneOf(['majority', 'two_thirds']);
    expect(q.parse('two_thirds')).toBe('two_thirds');
    expect(issues(q, 'all')).toEqual(['(top level): expected one of majority, two_thirds, got "all"']);
  });

  it('show() quotes text, names containers and cuts long values', () => {
    expect(show('500')).toBe('"500"');
    expect(show(500)).toBe('500');
    expect(show(undefined)).toBe('nothing');
    expect(show([1, 2])).toBe('a list of 2');
    expect(show({ a: 1 })).toBe('a map');
    expect(show('x'.repeat(100))).toHaveLength(40);
  });
});

describe('config spec kit: maps', () => {
  const section = map({
    rate: withDefault(number({ min: 1 }), 5),
    name: text({ nonEmpty: true }),
    note: optional(text()),
    inner: withDefault(map({ on: withDefault(boolean(), true), n: withDefault(number({ int: true, min: 0 }), 2) }), {}),
  });

  it('fills defaults (nested ones from a default section too), keeps optionals absent', () => {
    const v = section.parse({ name: 'a' });
    expect(v).toEqual({ rate: 5, name: 'a', inner: { on: true, n: 2 } });
    expect('note' in v).toBe(false);
    expect(section.parse({ name: 'a', note: 'x', inner: { n: 7 } })).toEqual({ rate: 5, name: 'a', note: 'x', inner: { on: true, n: 7 } });
  });

  it('a missing required field is an issue saying what it must be', () => {
    expect(issues(section, {})).toEqual(['name: required: non-empty text']);
  });

  it('unknown keys are refused at any depth, naming the keys allowed there', () => {
    expect(issues(section, { name: 'a', nmae: 'b' })).toEqual(['nmae: unknown key; allowed here: rate, name, note, inner']);
    expect(issues(section, { name: 'a', inner: { of: true } })).toEqual(['inner.of: unknown key; allowed here: on, n']);
  });

  it('collects every issue, each with its full path', () => {
    expect(issues(section, { rate: 0, name: '', inner: { on: 1, n: -1 } })).toEqual([
      'rate: expected a number >= 1, got 0',
      'name: expected non-empty text, got ""',
      'inner.on: expected true or false, got 1',
      'inner.n: expected an integer >= 0, got -1',
    ]);
  });

  it('not a map, null and lists are refused; undefined for an optional or defaulted field is absence', () => {
    expect(issues(section, null)).toEqual(['(top level): expected a map (rate, name, note, inner), got null']);
    expect(issues(section, [])).toEqual(['(top level): expected a map (rate, name, note, inner), got a list of 0']);
    expect(issues(section, { name: 'a', inner: null })).toEqual(['inner: expected a map (on, n), got null']);
    expect(section.parse({ name: 'a', rate: undefined, note: undefined })).toEqual({ rate: 5, name: 'a', inner: { on: true, n: 2 } });
  });

  it('returns fresh objects: neither the input nor a default is shared or changed', () => {
    const listed = withDefault(list(map({ n: withDefault(number(), 1) })), [{}]);
    const holder = map({ xs: listed });
    const input = { xs: [{}] };
    const a = holder.parse(input);
    expect(a).toEqual({ xs: [{ n: 1 }] });
    expect(input).toEqual({ xs: [{}] });
    const b = holder.parse({});
    const c = holder.parse({});
    expect(b).toEqual({ xs: [{ n: 1 }] });
    expect(b.xs).not.toBe(c.xs);
    b.xs[0]!.n = 9;
    expect(holder.parse({}).xs[0]!.n).toBe(1);
  });

  it('the types follow the declaration: defaulted fields required in the output, optional in the input', () => {
    type Out = Infer<typeof section>;
    type In = Input<typeof section>;
    const out: Out = { rate: 1, name: 'x', inner: { on: false, n: 0 } };
    const minimal: In = { name: 'x' };
    // @ts-expect-error name is required in the input
    const noName: In = {};
    // @ts-expect-error rate is always there in the output
    const noRate: Out = { name: 'x', inner: { on: false, n: 0 } };
    expect([out, minimal, noName, noRate]).toHaveLength(4);
  });
});

describe('config spec kit: lists, tags, refinements', () => {
  const item = byTag('kind', {
    a: map({ kind: oneOf(['a']), x: number() }),
    b: map({ kind: oneOf(['b']), y: withDefault(text(), 'why') }),
  });

  it('lists: each element at its index', () => {
    const l = list(number({ min: 0 }));
    expect(l.parse([0, 1])).toEqual([0, 1]);
    expect(issues(l, [0, -1, 'x'])).toEqual(['1: expected a number >= 0, got -1', '2: expected a number >= 0, got "x"']);
    expect(issues(l, { 0: 1 })).toEqual(['(top level): expected a list, got a map']);
  });

  it('tagged maps: the tag picks the variant, whose own rules then apply', () => {
    expect(item.parse({ kind: 'a', x: 1 })).toEqual({ kind: 'a', x: 1 });
    expect(item.parse({ kind: 'b' })).toEqual({ kind: 'b', y: 'why' });
    expect(issues(item, { kind: 'c' })).toEqual(['kind: expected one of a, b, got "c"']);
    expect(issues(item, { x: 1 })).toEqual(['kind: expected one of a, b, got nothing']);
    expect(issues(item, { kind: 'a', y: 'no' })).toEqual(['x: required: a number', 'y: unknown key; allowed here: kind, x']);
    expect(issues(item, 'a')).toEqual(['(top level): expected a map with kind: a | b, got "a"']);
  });

  it('a refinement runs only on a valid value, and files its issue where it points', () => {
    let calls = 0;
    const pair = refine(map({ lo: number(), hi: number() }), (p, report) => {
      calls++;
      if (p.hi < p.lo) report(`must be >= lo (${p.lo})`, 'hi');
    });
    expect(pair.parse({ lo: 1, hi: 2 })).toEqual({ lo: 1, hi: 2 });
    expect(issues(map({ p: pair }), { p: { lo: 3, hi: 2 } })).toEqual(['p.hi: must be >= lo (3)']);
    const before = calls;
    expect(issues(pair, { lo: 'x', hi: 2 })).toEqual(['lo: expected a number, got "x"']);
    expect(calls).toBe(before);
  });

  it('parse throws ConfigError (E_CONFIG_INVALID) with the source and every issue', () => {
    const s = map({ a: number({ max: 1 }), b: boolean() });
    try {
      s.parse({ a: 2, b: 0 }, 'test.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const c = e as ConfigError;
      expect(c.code).toBe('E_CONFIG_INVALID');
      expect(c.source).toBe('test.yaml');
      expect(c.issues).toEqual(['a: expected a number <= 1, got 2', 'b: expected true or false, got 0']);
      expect(c.message).toBe('test.yaml: invalid configuration:\n  - a: expected a number <= 1, got 2\n  - b: expected true or false, got 0');
    }
  });
});
