import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

// The uids the provisioning files give the two datasources. Dashboards never name a
// datasource directly: they go through a variable whose default is one of these, so a
// Grafana with other uids can pick its own in the dashboard's header.
export const PROMETHEUS_UID = 'costlens-prometheus';
export const API_UID = 'costlens-api';
export const INFINITY_TYPE = 'yesoreyeram-infinity-datasource';

/** `${name}`: how Grafana writes a variable's value into a field. */
export const variable = (name: string): string => `\${${name}}`;

/** The Prometheus that scrapes the collector, as panels and variables reference it. */
export const prometheus: DataSourceRef = { type: 'prometheus', uid: variable('prometheus') };
/** The collector's JSON API through the Infinity plugin. */
export const api: DataSourceRef = { type: INFINITY_TYPE, uid: variable('api') };

function datasourceVariable(name: string, label: string, type: string, uid: string) {
  return new DatasourceVariableBuilder(name)
    .label(label)
    .type(type)
    .current({ selected: true, text: uid, value: uid });
}

/** The datasource variables every dashboard starts with. */
export function datasourceVariables(withApi: boolean): DatasourceVariableBuilder[] {
  const list = [datasourceVariable('prometheus', 'Prometheus', 'prometheus', PROMETHEUS_UID)];
  if (withApi) list.push(datasourceVariable('api', 'costlens API', INFINITY_TYPE, API_UID));
  return list;
}
