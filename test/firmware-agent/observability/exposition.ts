/**
 * A small checker for the Prometheus text exposition format 0.0.4, strict enough to catch
 * what a scraper would refuse or misread:
 *
 * - every line is blank, a comment, `# HELP name text`, `# TYPE name type` or a sample
 *   `name{label="value",…} value [timestamp]`;
 * - names and label names match the grammar; label values use only the escapes \\ \" \n;
 *   values parse as floats (NaN, +Inf, -Inf allowed);
 * - at most one HELP and one TYPE per family, both before the family's first sample; the
 *   family's samples are contiguous; a summary's samples are `name` (with a `quantile`
 *   label), `name_sum` and `name_count`; no series appears twice;
 * - the text ends with a newline.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

export interface FamilyMeta {
  help?: string;
  type?: string;
  firstSampleLine?: number;
}

export interface Parsed {
  errors: string[];
  samples: Sample[];
  families: Map<string, FamilyMeta>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|NaN|Inf)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string): number | undefined {
  if (!FLOAT.test(s)) return undefined;
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** The family a sample belongs to, given the declared types. */
function familyOf(name: string, families: Map<string, FamilyMeta>): string {
  for (const suffix of ['_sum', '_count', '_bucket']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = families.get(base)?.type;
      if (t === 'summary' || t === 'histogram') return base;
    }
  }
  return name;
}

/** Parses `{a="x",b="y"}` from `s` at `i` (which is at `{`); returns labels and the index after `}`. */
function parseLabels(s: string, i: number, err: (m: string) => void): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  const fail = (m: string): undefined => {
    err(m);
    return undefined;
  };
  i++; // {
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq < 0) return fail('label without =');
    const lname = s.slice(i, eq);
    if (!LABEL_NAME.test(lname)) return fail(`bad label name "${lname}"`);
    if (lname.startsWith('__')) return fail(`reserved label name "${lname}"`);
    if (Object.hasOwn(labels, lname)) return fail(`label "${lname}" twice`);
    i = eq + 1;
    if (s[i] !== '"') return fail(`label ${lname}: value not quoted`);
    i++;
    let v = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) return fail(`label ${lname}: unterminated value`);
      if (c === '\n') return fail(`label ${lname}: raw newline`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else return fail(`label ${lname}: bad escape \\${n ?? ''}`);
        i += 2;
        continue;
      }
      v += c;
      i++;
    }
    labels[lname] = v;
    i++; // closing quote
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return fail(`label ${lname}: expected , or } after the value`);
  }
}

export function parseExposition(text: string): Parsed {
  const errors: string[] = [];
  const samples: Sample[] = [];
  const families = new Map<string, FamilyMeta>();
  const closed = new Set<string>(); // families whose sample block has ended
  const seenSeries = new Set<string>();
  let current: string | undefined;
  if (!text.endsWith('\n')) errors.push('text does not end with a newline');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const meta = (name: string): FamilyMeta => {
    let m = families.get(name);
    if (!m) families.set(name, (m = {}));
    return m;
  };

  lines.forEach((line, idx) => {
    const ln = idx + 1;
    const err = (m: string): void => {
      errors.push(`line ${ln}: ${m}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kw, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (!METRIC_NAME.test(name)) return err(`bad metric name in ${kw}`);
      const fm = meta(name);
      if (fm.firstSampleLine !== undefined) return err(`${kw} for ${name} after its samples`);
      if (kw === 'HELP') {
        if (fm.help !== undefined) return err(`second HELP for ${name}`);
        if (rest.replace(/\\[\\n]/g, '').includes('\\')) return err('bad escape in HELP text');
        fm.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (fm.type !== undefined) return err(`second TYPE for ${name}`);
        if (!TYPES.has(rest)) return err(`unknown type "${rest}"`);
        fm.type = rest;
      }
      return;
    }

    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) return err('sample does not start with a metric name');
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const r = parseLabels(line, i, err);
      if (!r) return;
      labels = r.labels;
      i = r.end;
    }
    if (line[i] !== ' ') return err('expected one space before the value');
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2 || parts.some((p) => p === '')) return err('expected "value [timestamp]"');
    const value = parseValue(parts[0]!);
    if (value === undefined) return err(`bad value "${parts[0]}"`);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) return err(`bad timestamp "${parts[1]}"`);

    const fam = familyOf(name, families);
    const fm = meta(fam);
    if (fm.type === undefined) err(`sample of ${fam} before (or without) its TYPE`);
    if (fm.type === 'summary') {
      const isQuantile = name === fam;
      if (isQuantile && labels.quantile === undefined) err(`summary sample ${name} without a quantile label`);
      if (!isQuantile && labels.quantile !== undefined) err(`${name} must not carry a quantile label`);
      if (isQuantile && labels.quantile !== undefined && parseValue(labels.quantile) === undefined) err('quantile is not a float');
    } else if (labels.quantile !== undefined) {
      err(`quantile label on a ${fm.type ?? 'untyped'} sample`);
    }
    if (fm.type === 'counter' && !(value >= 0 || Number.isNaN(value))) err('negative counter');
    if (current !== fam) {
      if (closed.has(fam)) err(`samples of ${fam} are not contiguous`);
      if (current !== undefined) closed.add(current);
      current = fam;
    }
    fm.firstSampleLine ??= ln;
    const key = `${name}{${Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seenSeries.has(key)) err(`series ${key} twice`);
    seenSeries.add(key);
    samples.push({ name, labels, value, line: ln });
  });
  return { errors, samples, families };
}

/** The value of one series, or undefined. */
export function valueOf(p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels);
  const s = p.samples.find(
    (x) => x.name === name && Object.keys(x.labels).length === want.length && want.every(([k, v]) => x.labels[k] === v),
  );
  return s?.value;
}
