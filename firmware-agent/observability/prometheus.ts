import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, escapeLabelValue, type FamilyView } from './metrics.js';

/**
 * The registry in Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` before each
 * family's samples, counters as `<prefix><name>_total`, histograms as summaries (quantiles
 * 0.5 and 0.99, `_sum`, `_count`). Rendering allocates; it runs on a scrape, never in a cycle.
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const SUMMARY_QUANTILES = [0.5, 0.99] as const;

/** What the renderer needs of a registry (a `Metrics` is one). */
export interface MetricsSource {
  families(): readonly FamilyView[];
}

export interface RenderOptions {
  /** Prepended to every family name. Default `agent_`. */
  prefix?: string;
}

export function renderPrometheus(metrics: MetricsSource, opts: RenderOptions = {}): string {
  const prefix = opts.prefix ?? 'agent_';
  const lines: string[] = [];
  for (const fam of metrics.families()) {
    const { def } = fam;
    const base = prefix + fam.name;
    const name = def.type === 'counter' ? `${base}_total` : base;
    const type = def.type === 'histogram' ? 'summary' : def.type;
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${type}`);
    for (const s of fam.series) {
      const lv = def.label !== undefined && s.labelValue !== undefined ? `${def.label}="${escapeLabelValue(s.labelValue)}"` : '';
      if (s instanceof Counter || s instanceof Gauge) {
        lines.push(`${name}${lv ? `{${lv}}` : ''} ${num(s.value)}`);
        continue;
      }
      const n = s.count;
      for (const q of SUMMARY_QUANTILES) {
        lines.push(`${name}{${lv ? `${lv},` : ''}quantile="${q}"} ${n === 0 ? 'NaN' : num(s.percentile(q * 100))}`);
      }
      lines.push(`${name}_sum${lv ? `{${lv}}` : ''} ${num(s.sum)}`, `${name}_count${lv ? `{${lv}}` : ''} ${num(n)}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function escapeHelp(s: string): string {
  return s.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

// ---------------------------------------------------------------------------------------
// The endpoint

export interface MetricsServer {
  /** The port actually bound (the ephemeral one when asked for 0). */
  readonly port: number;
  readonly host: string;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and HEAD) on `host:port` with node:http; any other path is 404, any
 * other method on /metrics 405. Port 0 binds an ephemeral port (see `.port`). Rejects when
 * the port cannot be bound. Loopback by default: exposing it off-board is a deliberate choice.
 * node:http is loaded here, on the first call: the endpoint is off by default, and an agent
 * that does not serve it saves the module's memory (~1 MB of RSS).
 */
export async function serveMetrics(
  metrics: MetricsSource,
  port: number,
  host = '127.0.0.1',
  opts: RenderOptions = {},
): Promise<MetricsServer> {
  const { createServer } = await import('node:http');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = renderPrometheus(metrics, opts);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`render failed: ${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.keepAliveTimeout = 2000;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = (server.address() as AddressInfo).port;
      resolve({
        port: bound,
        host,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The agent's switch: serves on `observability.metrics_port` unless it is 0 (the default),
 * in which case nothing listens and this resolves to undefined.
 */
export async function serveMetricsFromConfig(
  metrics: MetricsSource,
  cfg: { readonly metrics_port: number },
  host = '127.0.0.1',
): Promise<MetricsServer | undefined> {
  return cfg.metrics_port === 0 ? undefined : serveMetrics(metrics, cfg.metrics_port, host);
}
