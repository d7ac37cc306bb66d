import {
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { prometheus } from './datasources.js';

/**
 * The label filter of metrics that carry project, provider and model. "All" is `.*`,
 * so a value that appeared after the dashboard loaded is still counted.
 */
export const BY_ALL = 'project=~"$project", provider=~"$provider", model=~"$model"';
/**
 * The filter of metrics without a project label (the duration and first-chunk
 * histograms): filtering them on project would match nothing once one is picked.
 */
export const BY_MODEL = 'provider=~"$provider", model=~"$model"';

/** A multi-select label variable over the values costlens_calls_total has seen. */
function labelVariable(name: string, label: string, narrowedBy: string): QueryVariableBuilder {
  const selector =
    narrowedBy === '' ? 'costlens_calls_total' : `costlens_calls_total{${narrowedBy}}`;
  const query = `label_values(${selector}, ${name})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(prometheus)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc);
}

/** project, then provider within the projects picked, then model within both. */
export function labelVariables(): QueryVariableBuilder[] {
  return [
    labelVariable('project', 'Project', ''),
    labelVariable('provider', 'Provider', 'project=~"$project"'),
    labelVariable('model', 'Model', 'project=~"$project", provider=~"$provider"'),
  ];
}
