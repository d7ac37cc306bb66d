import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariables } from './datasources.js';
import { labelVariables } from './variables.js';

export const TAG = 'costlens';

/**
 * A dashboard with the datasource and label variables, the last 24 hours, and
 * links to the other costlens dashboards (by tag, so none names another's uid).
 */
export function costlensDashboard(
  uid: string,
  title: string,
  description: string,
  opts: { api?: boolean } = {},
): DashboardBuilder {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .link(otherDashboards());
  for (const v of [...datasourceVariables(opts.api ?? false), ...labelVariables()])
    builder.withVariable(v);
  return builder;
}

function otherDashboards(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('costlens')
    .type(DashboardLinkType.Dashboards)
    .tags([TAG])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
}

export const row = (title: string) => new RowBuilder(title);
