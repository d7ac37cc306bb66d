import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type Panel,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariables } from './datasources.js';
import { labelVariables } from './variables.js';

export const TAG = 'costlens';

/** A row of a dashboard and the panels under it. */
export interface Section {
  title: string;
  panels: Builder<Panel>[];
}

export const section = (title: string, ...panels: Builder<Panel>[]): Section => ({
  title,
  panels,
});

/**
 * A dashboard with the datasource and label variables, the last 24 hours, and
 * links to the other costlens dashboards (by tag, so none names another's uid),
 * then its sections in order. `api` adds the collector's JSON API datasource.
 */
export function costlensDashboard(
  meta: { uid: string; title: string; description: string; api?: boolean },
  sections: Section[],
): DashboardBuilder {
  const builder = new DashboardBuilder(meta.title)
    .uid(meta.uid)
    .description(meta.description)
    .tags([TAG])
    .editable()
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .link(otherDashboards());
  for (const v of [...datasourceVariables(meta.api ?? false), ...labelVariables()])
    builder.withVariable(v);
  for (const { title, panels } of sections) {
    builder.withRow(new RowBuilder(title));
    for (const panel of panels) builder.withPanel(panel);
  }
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
