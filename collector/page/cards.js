import { h, setText } from './dom.js';
import { counted, int, ms, pct, seconds, usd } from './format.js';

// The six summary cards, built once and then only their text changes.

const CARDS = [
  ['cost', 'Cost'],
  ['calls', 'Calls'],
  ['image_calls', 'Image calls'],
  ['video_calls', 'Video calls'],
  ['failed_calls', 'Failures'],
  ['p95', 'p95 latency'],
];

export function createCards(root) {
  const parts = {};
  root.replaceChildren(
    ...CARDS.map(([name, label]) => {
      const value = h('div', { class: 'card-value', text: '—' });
      const sub = h('div', { class: 'card-sub', text: '\u00a0' });
      const card = h(
        'article',
        { class: `card card-${name}`, dataset: { card: name } },
        h('div', { class: 'card-label', text: label }),
        value,
        sub,
      );
      parts[name] = { card, value, sub };
      return card;
    }),
  );

  function set(name, value, raw, sub, tone) {
    const p = parts[name];
    setText(p.value, value);
    setText(p.sub, sub || '\u00a0');
    const rawText = raw === null || raw === undefined ? '' : String(raw);
    if (p.card.dataset.value !== rawText) p.card.dataset.value = rawText;
    p.card.classList.toggle('bad', tone === 'bad');
    p.card.classList.toggle('warn', tone === 'warn');
  }

  return {
    render(s) {
      const none = s.calls === 0;
      // Only unpriced calls: their cost is unknown, whatever the sum of none says.
      const cost = none ? 0 : s.unpriced_calls === s.calls ? null : s.cost_usd;
      let costSub = '';
      if (s.unpriced_calls > 0) costSub = `${int(s.unpriced_calls)} unpriced`;
      else if (!none && cost > 0) costSub = `${usd(cost / s.calls)} a call`;
      set('cost', usd(cost), s.cost_usd, costSub, s.unpriced_calls > 0 ? 'warn' : null);
      set(
        'calls',
        int(s.calls),
        s.calls,
        none ? 'none in this range' : `${pct(s.success_rate)} succeeded`,
      );
      set(
        'image_calls',
        int(s.image_calls),
        s.image_calls,
        s.images ? counted(s.images, 'image') : '',
      );
      set(
        'video_calls',
        int(s.video_calls),
        s.video_calls,
        s.video_seconds ? `${seconds(s.video_seconds)} of video` : '',
      );
      set(
        'failed_calls',
        int(s.failed_calls),
        s.failed_calls,
        none ? '' : `${pct(s.failed_calls / s.calls)} of calls`,
        s.failed_calls > 0 ? 'bad' : null,
      );
      const l = s.latency_ms;
      set(
        'p95',
        ms(l?.p95 ?? null),
        l?.p95 ?? null,
        l ? `p50 ${ms(l.p50)} · p99 ${ms(l.p99)}` : '',
      );
    },
  };
}
