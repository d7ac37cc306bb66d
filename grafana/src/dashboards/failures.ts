import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { costlensDashboard, section } from '../dashboard.js';
import { api, variable } from '../datasources.js';
import { InfinityQueryBuilder } from '../infinity.js';
import { bars, promTable, stat, timeseries } from '../panels.js';
import { quantile, speed, speedBy, total, totalBy } from '../promql.js';
import { BY_ALL, BY_MODEL } from '../variables.js';

const CALLS = 'costlens_calls_total';
const RETRIES = 'costlens_retries_total';
const DURATION = 'costlens_call_duration_seconds';
const FIRST_CHUNK = 'costlens_time_to_first_chunk_seconds';
const FAILED = `${BY_ALL}, status="error"`;

const NO_PROJECT =
  'The duration histograms carry no project label (it would multiply their series): the project filter does not apply here.';

/** The last failed calls from the collector's JSON API (GET /api/v1/calls), newest first. */
export function failedCallsQuery(): InfinityQueryBuilder {
  return new InfinityQueryBuilder('/api/v1/calls')
    .refId('A')
    .datasource(api)
    .param('status', 'error')
    .param('sort', 'time')
    .param('order', 'desc')
    .param('page_size', '50')
    .param('from', variable('__from'))
    .param('to', variable('__to'))
    .rootSelector('calls')
    .column('started_at', 'Started', 'timestamp')
    .column('project', 'Project')
    .column('provider', 'Provider')
    .column('model', 'Model')
    .column('error_type', 'Error type')
    .column('error_message', 'Message')
    .column('retry_count', 'Retries', 'number')
    .column('duration_ms', 'Duration (ms)', 'number')
    .column('id', 'Call id');
}

export function failuresDashboard(): DashboardBuilder {
  return costlensDashboard(
    {
      uid: 'costlens-failures',
      title: 'costlens / Failures and latency',
      description:
        'What fails and what is slow: error rates by model and error type, latency percentiles, time to first chunk, retries, and the last failed calls with their messages.',
      api: true,
    },
    [
      section(
        'Failures',
        stat(
          'Error rate',
          'Failed calls over all calls in range.',
          `${total(CALLS, FAILED)} / ${total(CALLS, BY_ALL)}`,
          'percentunit',
        ).decimals(2),
        stat(
          'Failed calls',
          'Failed calls in range.',
          `${total(CALLS, FAILED)} or vector(0)`,
          'short',
        ),
        stat(
          'Retries',
          'Retries the SDKs made in range, before a call succeeded or gave up.',
          `${total(RETRIES, BY_ALL)} or vector(0)`,
          'short',
        ),
        stat(
          'p95 latency',
          `95% of the calls in range took less. ${NO_PROJECT}`,
          quantile(0.95, DURATION, BY_MODEL, '', '$__range'),
          's',
        ).decimals(2),
        timeseries(
          'Error rate by model',
          'Failed calls over all calls, by model.',
          [
            {
              expr: `${speed(CALLS, FAILED, 'model', 60)} / ${speed(CALLS, BY_ALL, 'model', 60)}`,
              legend: '{{model}}',
            },
          ],
          'percentunit',
        ).max(1),
        timeseries(
          'Failures per minute by error type',
          'Failed calls per minute, by the error the SDK raised.',
          [speedBy(CALLS, FAILED, 'error_type', 60)],
          'short',
          { stacked: true },
        ),
        bars(
          'Failures by model and error type',
          'Failed calls in range.',
          [
            {
              expr: total(CALLS, FAILED, 'model, error_type'),
              legend: '{{model}}: {{error_type}}',
            },
          ],
          'short',
          { w: 16, h: 8 },
        ),
        bars(
          'Failure ratio by model, last 15 minutes',
          'The recording rule model:costlens_calls_failed:ratio_rate15m (prometheus/rules/), which the failure-rate alert reads too.',
          [
            {
              expr: 'model:costlens_calls_failed:ratio_rate15m{model=~"$model"}',
              legend: '{{model}}',
            },
          ],
          'percentunit',
          { w: 8, h: 8 },
        ).max(1),
      ),
      section(
        'Latency',
        timeseries(
          'Latency p50 / p95 / p99 by model',
          `Call duration percentiles. ${NO_PROJECT}`,
          [0.5, 0.95, 0.99].map((q) => ({
            expr: quantile(q, DURATION, BY_MODEL, 'model', '$__rate_interval'),
            legend: `p${q * 100} {{model}}`,
          })),
          's',
        ),
        promTable(
          'Latency by model in range',
          `Call duration percentiles over the whole range. ${NO_PROJECT}`,
          [0.5, 0.95, 0.99].map((q) => ({
            expr: quantile(q, DURATION, BY_MODEL, 'model', '$__range'),
          })),
          ['p50', 'p95', 'p99'],
          's',
        ),
        timeseries(
          'Time to first chunk p50 / p95 by model',
          `How long a streamed call waited for its first chunk. ${NO_PROJECT}`,
          [0.5, 0.95].map((q) => ({
            expr: quantile(q, FIRST_CHUNK, BY_MODEL, 'model', '$__rate_interval'),
            legend: `p${q * 100} {{model}}`,
          })),
          's',
        ),
        promTable(
          'Time to first chunk by model in range',
          `Streamed calls only. ${NO_PROJECT}`,
          [0.5, 0.95].map((q) => ({
            expr: quantile(q, FIRST_CHUNK, BY_MODEL, 'model', '$__range'),
          })),
          ['p50', 'p95'],
          's',
        ),
      ),
      section(
        'Retries',
        timeseries(
          'Retries per call by model',
          'Retries the SDKs made, over the calls stored.',
          [
            {
              expr: `${speed(RETRIES, BY_ALL, 'model', 60)} / ${speed(CALLS, BY_ALL, 'model', 60)}`,
              legend: '{{model}}',
            },
          ],
          'short',
        ),
        bars(
          'Retries by model',
          'Retries in range.',
          [totalBy(RETRIES, BY_ALL, 'model')],
          'short',
          { w: 12, h: 8 },
        ),
      ),
      section(
        'Latest failed calls',
        new TableBuilder()
          .title('Latest failed calls')
          .description(
            "The 50 newest failed calls in range with the provider's error message, from the collector's JSON API. It lists every project, provider and model: the API filters on one value each, the variables may hold several.",
          )
          .datasource(api)
          .withTarget(failedCallsQuery())
          .span(24)
          .height(10),
      ),
    ],
  );
}
