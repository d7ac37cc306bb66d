// How numbers read on the page: money with 2 to 6 decimals as fits, thousands
// separators, durations in ms, s or minutes, and times in the reader's zone.

const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const moneyFormats = new Map();

function money(v, min, max) {
  const key = `${min}:${max}`;
  let f = moneyFormats.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: min,
      maximumFractionDigits: max,
    });
    moneyFormats.set(key, f);
  }
  return f.format(v);
}

/** Dollars: cents from $1 up, three significant digits below it, and 'unpriced' for null (never $0). */
export function usd(v) {
  if (v === null || v === undefined) return 'unpriced';
  const a = Math.abs(v);
  if (a === 0 || a >= 1) return money(v, 2, 2);
  if (a < 0.000001) return `< ${money(0.000001, 6, 6)}`;
  const decimals = Math.min(6, Math.max(2, Math.ceil(-Math.log10(a)) + 2));
  return money(v, 2, decimals);
}

/** Dollars on a chart axis: short, since the exact amount is in the legend. */
export function usdShort(v) {
  if (v === null || v === undefined) return '';
  const a = Math.abs(v);
  if (a >= 1000) return `$${oneDecimal.format(v / 1000)}k`;
  if (a >= 1 || a === 0) return money(v, 0, 2);
  return usd(v);
}

export const int = (n) => (n === null || n === undefined ? '–' : whole.format(n));

/** A count and its noun, singular for exactly one: '1 call', '2 calls', '1,204 calls'. */
export const counted = (n, one, many = `${one}s`) => `${int(n)} ${n === 1 ? one : many}`;

export const pct = (fraction) =>
  fraction === null || fraction === undefined ? '–' : `${oneDecimal.format(fraction * 100)}%`;

export function ms(v) {
  if (v === null || v === undefined) return '–';
  if (v < 1000) return `${whole.format(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(v / 60_000);
  const sec = Math.round((v % 60_000) / 1000);
  return sec === 0 ? `${m} min` : `${m}m ${sec}s`;
}

export function seconds(v) {
  if (v === null || v === undefined) return '–';
  if (v < 120) return `${oneDecimal.format(v)} s`;
  if (v < 7200) return `${oneDecimal.format(v / 60)} min`;
  return `${oneDecimal.format(v / 3600)} h`;
}

const clock = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dayClock = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

const sameDay = (a, b) => a.toDateString() === b.toDateString();

/** A call's time: the clock for today's, with the date for older ones. */
export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return sameDay(d, new Date()) ? clock.format(d) : dayClock.format(d);
}

const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
export const clockShort = (iso) => (iso ? hourMinute.format(new Date(iso)) : '–');
export const day = (iso) => (iso ? dateOnly.format(new Date(iso)) : '–');

export const whenFull = (iso) => (iso ? full.format(new Date(iso)) : '–');
export const whenShort = (iso) => (iso ? dayClock.format(new Date(iso)) : '–');
export const clockNow = () => clock.format(new Date());
