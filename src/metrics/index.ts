// vmfleet's Prometheus metrics: one registry with the state gauges (cost, spread, offerings), the lifecycle
// counters, controller-runtime-named controller health, build info and process metrics; and /metrics.
export * from './definitions.ts';
export * from './groups.ts';
export * from './lifecycle.ts';
export * from './placement.ts';
export * from './registry.ts';
export * from './server.ts';
export * from './snapshot.ts';
export * from './spread.ts';
export * from './state.ts';
export { ControllerRuntimeMetrics } from './controller-runtime.ts';
export type { Labels, Sample } from './series.ts';
