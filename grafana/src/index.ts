import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { costDashboard } from './dashboards/cost.js';
import { failuresDashboard } from './dashboards/failures.js';
import { usageDashboard } from './dashboards/usage.js';

export { API_UID, INFINITY_TYPE, PROMETHEUS_UID } from './datasources.js';

/** Every dashboard and the file under grafana/dashboards/ it is written to. */
export const DASHBOARDS: { file: string; build: () => DashboardBuilder }[] = [
  { file: 'costlens-cost.json', build: costDashboard },
  { file: 'costlens-usage.json', build: usageDashboard },
  { file: 'costlens-failures.json', build: failuresDashboard },
];
