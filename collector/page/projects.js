import { h, reconcile, setText } from './dom.js';
import { int, ms, pct, usd, when } from './format.js';

// The projects table: each row opens that project's view (the project filter).

const COLUMNS = [
  ['Project', ''],
  ['Cost', 'num'],
  ['Calls', 'num'],
  ['Failures', 'num'],
  ['Success', 'num hide-sm'],
  ['p95', 'num hide-sm'],
  ['Last call', 'hide-sm'],
];

export function projectTable(table, { onPick }) {
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      COLUMNS.map(([label, cls]) => h('th', { class: cls, scope: 'col', text: label })),
    ),
  );
  const body = h('tbody');
  table.replaceChildren(head, body);
  const rows = new Map();

  function row(name) {
    const key = name ?? '';
    let r = rows.get(key);
    if (r === undefined) {
      const cells = COLUMNS.map(([, cls]) => h('td', { class: cls }));
      // Calls that name no project cannot be filtered to: their row is not a link.
      if (name === null) cells[0].append(h('span', { class: 'muted', text: '(no project)' }));
      else {
        const link = h('button', { type: 'button', class: 'link', text: name });
        link.addEventListener('click', () => onPick(name));
        cells[0].append(link);
      }
      r = { el: h('tr', { dataset: { project: key } }, cells), cells };
      rows.set(key, r);
    }
    return r;
  }

  return {
    render(projects) {
      if (projects.length === 0) {
        rows.clear();
        body.replaceChildren(
          h(
            'tr',
            {},
            h('td', {
              colspan: COLUMNS.length,
              class: 'empty-note',
              text: 'No calls in this range.',
            }),
          ),
        );
        return;
      }
      reconcile(
        body,
        projects.map((p) => {
          const r = row(p.name || null);
          const [, cost, calls, failed, success, p95, last] = r.cells;
          setText(cost, usd(p.cost_usd));
          cost.classList.toggle('unpriced', p.cost_usd === null);
          setText(calls, int(p.calls));
          setText(failed, int(p.failed_calls));
          failed.classList.toggle('bad-text', p.failed_calls > 0);
          setText(success, pct(p.success_rate));
          setText(p95, ms(p.latency_ms?.p95 ?? null));
          setText(last, when(p.last_call_at));
          return r.el;
        }),
      );
    },
  };
}
