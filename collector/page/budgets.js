import { h, reconcile, setText, show } from './dom.js';
import { clockShort, counted, day, int, usd } from './format.js';

// Budgets: what each spent against its limit this period, and how long is left.

const scopeText = (scope) => {
  const parts = Object.entries(scope ?? {}).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'all calls' : parts.join(' · ');
};

/** A period's end: its clock time when it is within a day, else its date. */
const resetsAt = (iso) => (Date.parse(iso) - Date.now() < 86_400_000 ? clockShort(iso) : day(iso));

export function budgetList(section, root) {
  const cards = new Map();

  function card(name) {
    let c = cards.get(name);
    if (c === undefined) {
      c = {
        title: h('span', { class: 'budget-name', text: name }),
        scope: h('span', { class: 'budget-scope' }),
        spent: h('span', { class: 'budget-spent num' }),
        limit: h('span', { class: 'budget-limit' }),
        fill: h('span', { class: 'meter-fill' }),
        foot: h('span', { class: 'budget-foot' }),
        meter: null,
        el: null,
      };
      c.meter = h('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0 }, c.fill);
      c.el = h(
        'article',
        { class: 'budget', dataset: { budget: name } },
        h('div', { class: 'budget-head' }, c.title, c.scope),
        h('div', { class: 'budget-amounts' }, c.spent, c.limit),
        c.meter,
        c.foot,
      );
      cards.set(name, c);
    }
    return c;
  }

  return {
    render(budgets) {
      show(section, budgets.length > 0);
      const nodes = budgets.map((b) => {
        const c = card(b.name);
        const reset = b.period_end ? ` · resets ${resetsAt(b.period_end)}` : '';
        setText(c.scope, `${scopeText(b.scope)} · per ${b.period}${reset}`);
        setText(c.spent, usd(b.spent_usd));
        setText(c.limit, `of ${usd(b.limit_usd)}`);
        const used = b.percent_used ?? 0;
        c.fill.style.width = `${Math.min(used, 100)}%`;
        c.meter.setAttribute('aria-valuemax', '100');
        c.meter.setAttribute('aria-valuenow', String(Math.round(used)));
        c.meter.setAttribute('aria-label', `${b.name}: ${Math.round(used)}% of the limit used`);
        const firstAlert = (b.alert_at?.[0] ?? 0.8) * 100;
        const tone = used >= 100 ? 'bad' : used >= firstAlert ? 'warn' : 'ok';
        c.el.dataset.tone = tone;
        // days_left: days until the limit is reached at this period's rate (0: reached, null: not this period).
        const left =
          b.days_left === null || b.days_left === undefined
            ? 'on track'
            : b.days_left <= 0
              ? 'limit reached'
              : b.days_left < 1
                ? `limit in ${int(Math.max(1, Math.round(b.days_left * 24)))} h`
                : `limit in ${counted(Math.floor(b.days_left), 'day')}`;
        const forecast =
          b.forecast_usd === null || b.forecast_usd === undefined
            ? ''
            : ` · forecast ${usd(b.forecast_usd)}`;
        setText(c.foot, `${int(Math.round(used))}% used · ${left}${forecast}`);
        c.foot.classList.toggle('over', b.forecast_usd > b.limit_usd);
        return c.el;
      });
      reconcile(root, nodes);
    },
  };
}
