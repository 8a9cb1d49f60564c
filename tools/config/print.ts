/**
 * The effective configuration as people and machines read it: YAML (optionally with each
 * leaf's source as a comment) or JSON (optionally with a `sources` map beside it).
 */
import { Document, isMap, isScalar, isSeq, type Pair } from 'yaml';
import type { ValueOrigin } from '../../firmware-agent/config-layers.js';
import type { ResolvedConfig } from './resolve.js';
import { TOOL_SECTIONS } from './sections.js';

/** `env FSW_AGENT__CYCLE_HZ`, `file fsw.yaml`, `flag --seed`, `default`, `default (scenario nominal)`. */
export function originLabel(o: ValueOrigin): string {
  if (o.source === 'default') return o.name === 'built-in' ? 'default' : `default (${o.name})`;
  return `${o.source} ${o.name}`;
}

/** What a null default means (`pty_dir: null` is "a fresh temporary directory"). */
function nullMeaning(path: string): string | undefined {
  const [section, field] = path.split('.');
  const spec = (TOOL_SECTIONS as Record<string, Record<string, { help: string }> | undefined>)[section ?? '']?.[field ?? ''];
  const m = spec && /\(default: ([^)]*)\)/.exec(spec.help);
  return m?.[1];
}

export function configToJson(r: ResolvedConfig, withSources: boolean): string {
  const value = withSources ? { config: r.config, sources: Object.fromEntries([...r.sources].map(([k, o]) => [k, o])) } : r.config;
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function configToYaml(r: ResolvedConfig, withSources: boolean): string {
  const doc = new Document(r.config);
  // A list of maps (the watchpoints) reads best one item a line.
  for (const path of r.sources.keys()) {
    const node = doc.getIn(path.split('.'), true);
    if (isSeq(node)) for (const item of node.items) if (isMap(item)) item.flow = true;
  }
  if (withSources) {
    for (const [path, origin] of r.sources) {
      const keys = path.split('.');
      const parent = doc.getIn(keys.slice(0, -1), true);
      if (!isMap(parent)) continue;
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === keys.at(-1)) as Pair<{ comment?: string | null }, unknown> | undefined;
      if (!pair) continue;
      const meaning = origin.source === 'default' && pair.value !== null && isScalar(pair.value) && pair.value.value === null ? nullMeaning(path) : undefined;
      const label = ` ${originLabel(origin)}${meaning ? `: ${meaning}` : ''}`;
      if (isSeq(pair.value) && pair.value.items.every((i) => isScalar(i))) {
        pair.value.flow = true;
        pair.value.comment = label;
      } else if (isSeq(pair.value) || isMap(pair.value)) {
        if (pair.key) pair.key.comment = label;
      } else if (isScalar(pair.value)) {
        pair.value.comment = label;
      }
    }
  }
  return doc.toString({ lineWidth: 0 });
}
