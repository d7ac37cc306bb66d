// The view lives in the URL (?range=7d&project=shop&page=2...), so a link
// shares exactly what one sees, and the back button walks back through filters.

export const RANGES = [
  ['today', 'Today'],
  ['24h', '24 h'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['custom', 'Custom'],
];
export const DEFAULT_RANGE = '7d';
/** Filters the API takes by name; the last two have no menu but are kept from a shared link. */
export const FILTERS = ['project', 'provider', 'model', 'call_type', 'status', 'user', 'account'];
export const SORTS = ['time', 'cost', 'latency'];
export const PAGE_SIZE = 20;

const HOUR = 3_600_000;
const SPANS = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };

const validTime = (s) => s !== null && s !== '' && !Number.isNaN(new Date(s).getTime());

/** The view a query string asks for; anything it cannot use is left at its default. */
export function readState(search) {
  const q = new URLSearchParams(search);
  const s = { range: DEFAULT_RANGE, from: null, to: null, page: 1, sort: 'time', order: 'desc' };
  const range = q.get('range');
  if (RANGES.some(([r]) => r === range)) s.range = range;
  // A link with from= and no range is a custom range too.
  if (validTime(q.get('from')) && (range === null || range === 'custom')) {
    s.range = 'custom';
    s.from = new Date(q.get('from')).toISOString();
    if (validTime(q.get('to'))) s.to = new Date(q.get('to')).toISOString();
  }
  if (s.range === 'custom' && s.from === null) s.range = DEFAULT_RANGE;
  for (const f of FILTERS) {
    const v = q.get(f);
    if (v !== null && v !== '') s[f] = v;
  }
  const page = Number(q.get('page'));
  if (Number.isInteger(page) && page > 1) s.page = page;
  if (SORTS.includes(q.get('sort'))) s.sort = q.get('sort');
  if (q.get('order') === 'asc') s.order = 'asc';
  const call = q.get('call');
  if (call) s.call = call;
  return s;
}

/** The query string of a view, defaults left out so links stay short. */
export function writeState(s) {
  const q = new URLSearchParams();
  if (s.range !== DEFAULT_RANGE) q.set('range', s.range);
  if (s.range === 'custom') {
    q.set('from', s.from);
    if (s.to) q.set('to', s.to);
  }
  for (const f of FILTERS) if (s[f]) q.set(f, s[f]);
  if (s.sort !== 'time') q.set('sort', s.sort);
  if (s.order !== 'desc') q.set('order', s.order);
  if (s.page > 1) q.set('page', String(s.page));
  if (s.call) q.set('call', s.call);
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

/** The time range a view means now: relative ranges end at `now`, today starts at local midnight. */
export function resolveRange(s, now) {
  let from;
  let to = now;
  if (s.range === 'custom') {
    from = new Date(s.from).getTime();
    if (s.to) to = new Date(s.to).getTime();
  } else if (s.range === 'today') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    from = d.getTime();
  } else {
    from = now - SPANS[s.range];
  }
  // Hourly bars up to three days, daily ones beyond: enough bars, never thousands.
  const granularity = to - from <= 3 * 24 * HOUR ? 'hour' : 'day';
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), granularity };
}

/** The filter parameters every API request of this view carries. */
export function apiFilters(s, range, except) {
  const p = { from: range.from, to: range.to };
  for (const f of FILTERS) if (s[f] && f !== except) p[f] = s[f];
  return p;
}

export const hasFilters = (s) => FILTERS.some((f) => s[f]);
