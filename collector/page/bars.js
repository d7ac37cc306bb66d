import { h, reconcile, setText } from './dom.js';
import { counted, int, pct, usd } from './format.js';

// The model split: one row per model, its bar as long as its share of the cost.

const SHOWN = 6;
const NONE = '(none)';

export function barList(root, { empty, onPick }) {
  const rows = new Map();

  function row(key) {
    let r = rows.get(key);
    if (r === undefined) {
      const name = h('span', { class: 'bar-name', title: key, text: key });
      const cost = h('span', { class: 'bar-cost num' });
      const meta = h('span', { class: 'bar-meta' });
      const failed = h('span', { class: 'bar-failed' });
      const fill = h('span', { class: 'bar-fill' });
      const el = h(
        onPick ? 'button' : 'div',
        { class: 'bar-row', type: onPick ? 'button' : undefined },
        h('span', { class: 'bar-top' }, name, cost),
        h('span', { class: 'bar-track' }, fill),
        h('span', { class: 'bar-foot' }, meta, failed),
      );
      if (onPick) el.addEventListener('click', () => onPick(key));
      // A model the calls did not name cannot be filtered to.
      if (onPick && key === NONE) el.disabled = true;
      r = { el, cost, meta, failed, fill };
      rows.set(key, r);
    }
    return r;
  }

  return {
    /** items: breakdown rows ({ key, cost_usd, calls, failed_calls }), sorted by cost. */
    render(items) {
      if (items.length === 0) {
        const note = h('p', { class: 'empty-note', text: empty });
        root.replaceChildren(note);
        rows.clear();
        return;
      }
      const total = items.reduce((t, i) => t + (i.cost_usd ?? 0), 0);
      const calls = items.reduce((t, i) => t + i.calls, 0);
      const shown = items.slice(0, SHOWN);
      const nodes = shown.map((i) => {
        const r = row(i.key || NONE);
        setText(r.cost, usd(i.cost_usd));
        r.cost.classList.toggle('unpriced', i.cost_usd === null);
        const share = total > 0 ? (i.cost_usd ?? 0) / total : calls > 0 ? i.calls / calls : 0;
        setText(r.meta, `${counted(i.calls, 'call')} · ${pct(share)}`);
        setText(r.failed, i.failed_calls > 0 ? ` · ${int(i.failed_calls)} failed` : '');
        r.fill.style.width = `${Math.max(share * 100, share > 0 ? 1 : 0)}%`;
        return r.el;
      });
      if (items.length > SHOWN)
        nodes.push(h('p', { class: 'muted more', text: `and ${items.length - SHOWN} more` }));
      reconcile(root, nodes);
    },
  };
}
