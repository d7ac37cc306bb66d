import { h, reconcile, setText } from './dom.js';
import { counted, int, ms, seconds, usd, when, whenFull } from './format.js';

// The paged call table. Rows are kept by call id and updated in place, so a
// refresh never closes the row that is open or moves the one under the cursor.

const COLUMNS = [
  { label: 'Time', sort: 'time' },
  { label: 'Project', cls: 'hide-sm' },
  { label: 'Model' },
  { label: 'Type', cls: 'hide-sm' },
  { label: 'Resolution or tokens', cls: 'hide-sm' },
  { label: 'Status', cls: 'hide-xs' },
  { label: 'Latency', cls: 'num hide-sm', sort: 'latency' },
  { label: 'Cost', cls: 'num', sort: 'cost' },
];

const modelOf = (c) => c.model ?? c.response_model ?? c.request_model ?? '–';

function usage(c) {
  if (c.call_type === 'image' || c.image_count !== null) {
    const what = c.image_resolution ?? c.image_size;
    return `${counted(c.image_count, 'image')}${what ? ` · ${what}` : ''}`;
  }
  if (c.call_type === 'video' || c.video_seconds !== null) {
    const parts = [seconds(c.video_seconds), c.video_resolution, c.video_audio ? 'audio' : null];
    return parts.filter(Boolean).join(' · ');
  }
  if (c.input_tokens === null && c.output_tokens === null) return '–';
  if (c.output_tokens === null) return `${counted(c.input_tokens, 'token')} in`;
  return `${int(c.input_tokens)} in · ${int(c.output_tokens)} out`;
}

function costCell(td, c) {
  setText(td, usd(c.cost_usd));
  td.classList.toggle('unpriced', c.cost_usd === null);
  if (c.cost_usd === null && c.unpriced_reason) td.title = c.unpriced_reason;
  else td.removeAttribute('title');
}

function statusBadge(c) {
  if (c.status === 'error')
    return h('span', { class: 'badge badge-bad', text: c.error_type || 'error' });
  return h('span', { class: 'badge badge-ok', text: 'ok' });
}

/** A definition list of the fields that have a value. */
function fields(pairs) {
  return h(
    'dl',
    { class: 'fields' },
    pairs
      .filter(([, v]) => v !== null && v !== undefined && v !== '' && v !== '–')
      .map(([k, v]) => h('div', {}, h('dt', { text: k }), h('dd', { text: v }))),
  );
}

function tokens(c) {
  const kinds = [
    ['input', c.input_tokens],
    ['cache read', c.cache_read_tokens],
    ['cache write', c.cache_write_tokens],
    ['cache write 1h', c.cache_write_1h_tokens],
    ['output', c.output_tokens],
    ['reasoning', c.reasoning_tokens],
  ].filter(([, n]) => n !== null && n !== undefined);
  return kinds.length === 0 ? null : kinds.map(([k, n]) => `${int(n)} ${k}`).join(' · ');
}

function breakdown(b) {
  if (!b) return null;
  const parts = Object.entries(b).filter(([, v]) => v !== null && v !== 0);
  return parts.length === 0
    ? null
    : parts.map(([k, v]) => `${k.replace('_', ' ')} ${usd(v)}`).join(' · ');
}

/** The open row: the error first when there is one, then every detail of the call. */
function detailView(c, full, problem) {
  const d = full ?? c;
  const nodes = [];
  if (c.status === 'error') {
    nodes.push(
      h(
        'div',
        { class: 'error-box', role: 'alert' },
        h('strong', { text: c.error_type || 'error' }),
        h('p', {
          class: 'error-message',
          text: c.error_message || 'The call recorded no message.',
        }),
      ),
    );
  }
  nodes.push(
    fields([
      ['Started', whenFull(d.started_at)],
      ['Duration', ms(d.duration_ms)],
      ['Time to first token', d.ttft_ms === null ? null : ms(d.ttft_ms)],
      ['Service', d.service],
      ['Project', d.project],
      ['User', d.user],
      ['Account', d.account],
      ['Provider', d.provider],
      ['Operation', d.operation],
      ['Type', d.call_type],
      ['Requested model', d.request_model],
      ['Response model', d.response_model],
      ['Tokens', tokens(d)],
      ['Images', d.image_count === null ? null : usage({ ...d, call_type: 'image' })],
      ['Image quality', d.image_quality],
      ['Aspect ratio', d.aspect_ratio],
      [
        'Video',
        d.video_seconds === null ? null : usage({ ...d, call_type: 'video', image_count: null }),
      ],
      ['Retries', d.retry_count ? int(d.retry_count) : null],
      ['Cost', usd(d.cost_usd)],
      ['Cost breakdown', breakdown(full?.cost_breakdown)],
      ['Pricing', d.pricing_source],
      ['Why unpriced', d.unpriced_reason],
      ['Trace', d.trace_id],
      ['Span', d.span_id],
      ['Output', full?.output_path],
    ]),
  );
  if (full?.prompt) nodes.push(h('h4', { text: 'Prompt' }), h('pre', { text: full.prompt }));
  if (full?.attributes && Object.keys(full.attributes).length > 0)
    nodes.push(
      h('h4', { text: 'Attributes' }),
      h('pre', { text: JSON.stringify(full.attributes, null, 2) }),
    );
  if (problem) nodes.push(h('p', { class: 'muted', text: problem }));
  else if (!full) nodes.push(h('p', { class: 'muted', text: 'Loading the details…' }));
  return nodes;
}

/**
 * table parts: { body, head, count, prev, next, info }; opts: { onSort(sort),
 * onPage(delta), onOpen(id or null), load(id) -> Promise<call detail> }.
 */
export function callTable(parts, opts) {
  const rows = new Map();
  const details = new Map();
  let open = null;
  let last = { calls: [], state: null };

  const headCells = COLUMNS.map((col) => {
    const th = h('th', { class: col.cls, scope: 'col' });
    if (col.sort) {
      const b = h('button', { type: 'button', class: 'sort', text: col.label });
      b.addEventListener('click', () => opts.onSort(col.sort));
      th.append(b);
    } else th.textContent = col.label;
    return th;
  });
  parts.head.replaceChildren(...headCells);
  parts.prev.addEventListener('click', () => opts.onPage(-1));
  parts.next.addEventListener('click', () => opts.onPage(1));

  function toggle(id) {
    open = open === id ? null : id;
    opts.onOpen(open);
    draw();
    if (open !== null && !details.has(open)) fetchDetail(open);
  }

  async function fetchDetail(id) {
    details.set(id, { full: null, problem: null });
    try {
      details.set(id, { full: await opts.load(id), problem: null });
    } catch (err) {
      details.set(id, { full: null, problem: `The details could not be loaded: ${err.message}.` });
    }
    const r = rows.get(id);
    if (r) r.sig = '';
    draw();
  }

  function row(c) {
    let r = rows.get(c.id);
    if (r === undefined) {
      const cells = COLUMNS.map((col) => h('td', { class: col.cls }));
      const el = h('tr', { class: 'call-row', tabindex: 0, dataset: { id: c.id } }, cells);
      el.addEventListener('click', () => toggle(c.id));
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          toggle(c.id);
        }
      });
      const detailCell = h('td', { colspan: COLUMNS.length });
      const detail = h('tr', { class: 'call-detail' }, detailCell);
      r = { el, cells, detail, detailCell, sig: '', detailSig: '' };
      rows.set(c.id, r);
    }
    const sig = JSON.stringify(c);
    if (r.sig !== sig) {
      r.sig = sig;
      const [time, project, model, type, use, status, latency, cost] = r.cells;
      setText(time, when(c.started_at));
      time.title = whenFull(c.started_at);
      setText(project, c.project ?? '–');
      setText(model, modelOf(c));
      model.title = modelOf(c);
      setText(type, c.call_type);
      setText(use, usage(c));
      status.replaceChildren(statusBadge(c));
      setText(latency, ms(c.duration_ms));
      costCell(cost, c);
      r.el.classList.toggle('failed', c.status === 'error');
    }
    const isOpen = open === c.id;
    r.el.classList.toggle('open', isOpen);
    r.el.setAttribute('aria-expanded', String(isOpen));
    if (isOpen) {
      const d = details.get(c.id) ?? { full: null, problem: null };
      const detailSig = `${sig}|${d.full ? 'full' : ''}|${d.problem ?? ''}`;
      if (r.detailSig !== detailSig) {
        r.detailSig = detailSig;
        r.detailCell.replaceChildren(
          h('div', { class: 'detail' }, detailView(c, d.full, d.problem)),
        );
      }
    }
    return r;
  }

  function draw() {
    const { calls, state, total } = last;
    if (state === null) return;
    if (calls.length === 0) {
      rows.clear();
      parts.body.replaceChildren(
        h(
          'tr',
          {},
          h('td', {
            colspan: COLUMNS.length,
            class: 'empty-note',
            text: state.page > 1 ? 'No calls on this page.' : 'No calls match these filters.',
          }),
        ),
      );
    } else {
      const nodes = [];
      for (const c of calls) {
        const r = row(c);
        nodes.push(r.el);
        if (open === c.id) nodes.push(r.detail);
      }
      reconcile(parts.body, nodes);
      const seen = new Set(calls.map((c) => c.id));
      for (const id of rows.keys()) if (!seen.has(id)) rows.delete(id);
    }
    const from = total === 0 ? 0 : (state.page - 1) * state.pageSize + 1;
    const to = Math.min(state.page * state.pageSize, total);
    setText(parts.count, counted(total, 'call'));
    setText(parts.info, total === 0 ? '' : `${int(from)}–${int(to)} of ${int(total)}`);
    parts.prev.disabled = state.page <= 1;
    parts.next.disabled = to >= total;
    headCells.forEach((th, i) => {
      const col = COLUMNS[i];
      if (!col.sort) return;
      const on = state.sort === col.sort;
      th.setAttribute(
        'aria-sort',
        on ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none',
      );
      th.classList.toggle('sorted', on);
    });
  }

  return {
    /** page: the /calls answer; state: { page, pageSize, sort, order, call }. */
    render(page, state) {
      if (state.call !== open) {
        open = state.call ?? null;
        if (open !== null && !details.has(open)) fetchDetail(open);
      }
      last = { calls: page.calls, total: page.total, state };
      draw();
    },
  };
}
