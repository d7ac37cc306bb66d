import {
  type DashboardBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { costlensDashboard, section } from '../dashboard.js';
import { bars, percentGauge, promTable, stat, timeseries } from '../panels.js';
import { speed, speedBy, total, totalBy } from '../promql.js';
import { BY_ALL } from '../variables.js';

const COST = 'costlens_cost_usd_total';
const CALLS = 'costlens_calls_total';
const UNPRICED = 'costlens_unpriced_calls_total';

/** Calls with a price: unpriced calls add nothing to the cost, so they must not lower its average. */
const pricedCalls = (labels: string) =>
  `(${total(CALLS, BY_ALL, labels)} - (${total(UNPRICED, BY_ALL, labels)} or ${total(CALLS, BY_ALL, labels)} * 0))`;

const perCall = (labels: string) => `${total(COST, BY_ALL, labels)} / ${pricedCalls(labels)}`;

export function costDashboard(): DashboardBuilder {
  return costlensDashboard(
    {
      uid: 'costlens-cost',
      title: 'costlens / Cost',
      description:
        'What the AI calls cost: in the range, today, per hour, by model, project and provider, against the budgets.',
    },
    [
      section(
        'Spend',
        stat(
          'Spend in range',
          'The priced calls of the picked range (unpriced calls are counted apart, never as $0).',
          total(COST, BY_ALL),
          'currencyUSD',
        ),
        stat(
          'Spend today',
          'Since midnight in the dashboard time zone, whatever range is picked.',
          total(COST, BY_ALL),
          'currencyUSD',
        ).timeFrom('now/d'),
        stat(
          'Spend rate ($/hour)',
          'How fast money goes now: the last few scrapes, as dollars per hour.',
          speed(COST, BY_ALL, '', 3600),
          'currencyUSD',
        ),
        stat(
          'Cost per priced call',
          'Spend in range over the calls that had a price.',
          perCall(''),
          'currencyUSD',
        ).decimals(6),
      ),
      section(
        'Spend per hour',
        timeseries(
          'By model',
          'Dollars per hour, by the model that answered.',
          [speedBy(COST, BY_ALL, 'model', 3600)],
          'currencyUSD',
          { stacked: true },
        ),
        timeseries(
          'By project',
          'Dollars per hour, by the project the calls were charged to.',
          [speedBy(COST, BY_ALL, 'project', 3600)],
          'currencyUSD',
          { stacked: true },
        ),
      ),
      section(
        'Where the money went',
        bars(
          'Spend by model',
          'Spend in range by model.',
          [totalBy(COST, BY_ALL, 'model')],
          'currencyUSD',
        ),
        bars(
          'Spend by project',
          'Spend in range by project.',
          [totalBy(COST, BY_ALL, 'project')],
          'currencyUSD',
        ),
        bars(
          'Spend by provider',
          'Spend in range by provider.',
          [totalBy(COST, BY_ALL, 'provider')],
          'currencyUSD',
        ),
        promTable(
          'Cost per call by model',
          'Spend, priced calls and the average cost of one call in range, by model.',
          [
            { expr: total(COST, BY_ALL, 'provider, model') },
            { expr: pricedCalls('provider, model') },
            { expr: perCall('provider, model') },
          ],
          ['Spend', 'Priced calls', 'Per call'],
          'currencyUSD',
          { w: 24, h: 8 },
        )
          .overrideByName('Priced calls', [{ id: 'unit', value: 'short' }])
          .overrideByName('Per call', [{ id: 'decimals', value: 6 }]),
        bars(
          'Month to date by project',
          'Since 00:00 UTC on the 1st, whatever range is picked: the recording rule project:costlens_cost_usd:month_to_date (prometheus/rules/).',
          [
            {
              expr: 'sum by (project) (project:costlens_cost_usd:month_to_date{project=~"$project"})',
              legend: '{{project}}',
            },
          ],
          'currencyUSD',
          { w: 24, h: 6 },
        ),
      ),
      section(
        'Budgets',
        percentGauge(
          'Budget used',
          "Each budget's spend in its current period, as a share of its limit (budgets in the collector's config).",
          [
            {
              expr: '100 * costlens_budget_spent_usd / costlens_budget_limit_usd',
              legend: '{{budget}}',
            },
          ],
          80,
          { w: 8, h: 7 },
        ),
        percentGauge(
          'Forecast at period end',
          'Where each budget is heading at the present burn rate, as a share of its limit: above 100 it runs out before the period ends.',
          [
            {
              expr: '100 * costlens_budget_forecast_usd / costlens_budget_limit_usd',
              legend: '{{budget}}',
            },
          ],
          90,
          { w: 8, h: 7 },
        ),
        promTable(
          'Budgets',
          'Spent, forecast and limit of each budget, in dollars.',
          [
            { expr: 'costlens_budget_spent_usd' },
            { expr: 'costlens_budget_forecast_usd' },
            { expr: 'costlens_budget_limit_usd' },
          ],
          ['Spent', 'Forecast', 'Limit'],
          'currencyUSD',
          { w: 8, h: 7 },
        ),
      ),
      section(
        'Unpriced calls',
        stat(
          'Unpriced calls',
          'Calls whose model has no known price: their cost is unknown, not zero. Add the model to a price file (see the collector docs) and recompute.',
          `${total(UNPRICED, BY_ALL)} or vector(0)`,
          'short',
          { w: 6, h: 7 },
        ).thresholds(
          // Any unpriced call is worth a look.
          new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
            { value: null, color: 'green' },
            { value: 1, color: 'orange' },
          ]),
        ),
        bars(
          'Unpriced calls by model',
          'The models to price.',
          [totalBy(UNPRICED, BY_ALL, 'provider, model')],
          'short',
          { w: 18, h: 7 },
        ),
      ),
    ],
  );
}
