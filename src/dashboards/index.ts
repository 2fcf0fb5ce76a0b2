// The vmfleet Grafana dashboard as code (Grafana foundation SDK) and the files generated from it.
export * from './files.ts';
export * from './queries.ts';
export { DASHBOARD_TITLE, DASHBOARD_UID, vmfleetDashboard } from './vmfleet.ts';
