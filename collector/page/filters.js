import { h, reconcile, setText, show } from './dom.js';
import { RANGES } from './url-state.js';

// The filter bar: time range, custom dates, and one menu per filter.

const MENUS = [
  ['project', 'All projects'],
  ['provider', 'All providers'],
  ['model', 'All models'],
  ['call_type', 'All types'],
  ['status', 'Any status'],
];
const FIXED = {
  call_type: ['text', 'embedding', 'image', 'video', 'audio', 'other'],
  status: ['success', 'error'],
};
/** Filters a shared link may carry that have no menu: shown as removable chips. */
const CHIPS = ['user', 'account'];

/** datetime-local wants local time without a zone; the URL keeps UTC. */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** els: { ranges, custom, customFrom, customTo, selects, clear }; on: { range, custom, filter, clear }. */
export function filterBar(els, on) {
  const rangeButtons = RANGES.map(([value, label]) => {
    const b = h('button', { type: 'button', class: 'seg', dataset: { range: value }, text: label });
    b.addEventListener('click', () => on.range(value));
    return b;
  });
  els.ranges.append(...rangeButtons);
  els.custom.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = els.customFrom.value;
    const to = els.customTo.value;
    if (!from) return;
    on.custom(new Date(from).toISOString(), to ? new Date(to).toISOString() : null);
  });
  els.clear.addEventListener('click', () => on.clear());

  const menus = new Map();
  for (const [name, all] of MENUS) {
    const select = h('select', { name, dataset: { filter: name }, 'aria-label': all });
    select.addEventListener('change', () => on.filter(name, select.value || null));
    const label = h('label', { class: 'menu' }, select);
    menus.set(name, { select, label, all, sig: '' });
  }
  const chips = h('span', { class: 'chips' });
  els.selects.replaceChildren(...[...menus.values()].map((m) => m.label), chips);

  return {
    /** state: the view; options: { project: [...], provider: [...], model: [...] } (null: keep). */
    render(state, options) {
      for (const b of rangeButtons) {
        const on = b.dataset.range === state.range;
        b.classList.toggle('on', on);
        b.setAttribute('aria-pressed', String(on));
      }
      show(els.custom, state.range === 'custom');
      if (state.range === 'custom' && document.activeElement?.form !== els.custom) {
        els.customFrom.value = toLocalInput(state.from);
        els.customTo.value = toLocalInput(state.to);
      }
      for (const [name, m] of menus) {
        const known = FIXED[name] ?? options?.[name] ?? m.known ?? [];
        m.known = known;
        const current = state[name] ?? '';
        // A value from a link that has no calls in this range still shows as chosen.
        const values = current && !known.includes(current) ? [current, ...known] : known;
        const sig = JSON.stringify(values);
        if (sig !== m.sig) {
          m.sig = sig;
          m.select.replaceChildren(
            h('option', { value: '', text: m.all }),
            ...values.map((v) => h('option', { value: v, text: v })),
          );
        }
        if (m.select.value !== current) m.select.value = current;
        m.label.classList.toggle('on', current !== '');
      }
      reconcile(
        chips,
        CHIPS.filter((c) => state[c]).map((c) => {
          const b = h('button', { type: 'button', class: 'chip', title: `Remove the ${c} filter` });
          setText(b, `${c}: ${state[c]} ×`);
          b.addEventListener('click', () => on.filter(c, null));
          return b;
        }),
      );
      show(els.clear, MENUS.some(([n]) => state[n]) || CHIPS.some((c) => state[c]));
    },
  };
}
