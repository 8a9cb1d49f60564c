export { Assessor, SAMPLE_EPSILON_MS } from './assessor.js';
export type { Anomaly, Assessment, AssessorOptions } from './types.js';
export { scoreHealth, PENALTY_MILLI, BREADTH_MILLI, CRITICAL_CAP_MILLI, type HealthScore } from './health.js';
export { compileWatchpoints, type WatchpointInput } from './watchpoint.js';
