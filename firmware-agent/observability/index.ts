/** The agent's observability: metrics registry, Prometheus endpoint, structured logs. */
export * from './metrics.js';
export * from './prometheus.js';
export * from './log.js';
