// The floor the query API is measured against: the same figures computed by SQL over
// the raw calls table of the window (no rollups, no HTTP, no JSON), on its own
// read-only connection.
import Database from 'better-sqlite3';
import { median } from './lib.js';

/** The median of up to 7 timings of fn(), in ms (raw SQL on its own connection). */
function timedSql(fn, runs) {
  fn();
  const times = [];
  for (let i = 0; i < Math.min(runs, 7); i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The raw scans of [from, to) in the database at `path`: each figure's median ms. */
export function rawScans(path, from, to, runs) {
  const timed = (fn) => timedSql(fn, runs);
  const db = new Database(path, { readonly: true });
  const id = (v) => db.prepare('SELECT id FROM strings WHERE value = ?').pluck().get(v) ?? -1;
  const error = id('error');
  const w = 'started_at >= @from AND started_at < @to';
  const p = { from, to, error };
  const pct = (sorted, q) => sorted[Math.floor(q * (sorted.length - 1))];
  const sums = `count(*) calls, sum(status = @error) failed, sum(cost_pusd IS NULL) unpriced,
    sum(cost_pusd) cost, sum(input_tokens) input, sum(output_tokens) output,
    sum(cache_read_tokens) cache_read, sum(cache_write_tokens) cache_write,
    sum(reasoning_tokens) reasoning, total(duration_us) duration, max(started_at) last`;
  const grouped = (key) => () => {
    const rows = db.prepare(`SELECT ${key} k, ${sums} FROM calls WHERE ${w} GROUP BY k`).all(p);
    const durations = db
      .prepare(`SELECT ${key} k, duration_us d FROM calls WHERE ${w} ORDER BY k, d`)
      .raw()
      .all(p);
    return { rows: rows.length, durations: durations.length };
  };
  const out = {
    summary: timed(() => {
      db.prepare(
        `SELECT ${sums}, sum(image_count) images, total(video_seconds) video,
         count(DISTINCT coalesce(response_model, request_model)) models, count(DISTINCT user) users,
         count(DISTINCT account) accounts, count(DISTINCT project) projects FROM calls WHERE ${w}`,
      ).get(p);
      const d = db
        .prepare(`SELECT duration_us FROM calls WHERE ${w} ORDER BY duration_us`)
        .pluck()
        .all(p);
      return [pct(d, 0.5), pct(d, 0.95), pct(d, 0.99)];
    }),
    'breakdown by model': timed(grouped('coalesce(response_model, request_model)')),
    'breakdown by user': timed(grouped('user')),
    'breakdown by error_type': timed(grouped('error_type')),
    projects: timed(grouped('project')),
    'timeseries cost, hourly': timed(() =>
      db
        .prepare(`SELECT started_at / 3600000 h, sum(cost_pusd) FROM calls WHERE ${w} GROUP BY h`)
        .all(p),
    ),
    'calls, newest first, page 1 (with total)': timed(() => {
      db.prepare(`SELECT count(*) FROM calls WHERE ${w}`).get(p);
      return db
        .prepare(`SELECT * FROM call_records WHERE ${w} ORDER BY started_at DESC LIMIT 20`)
        .all(p);
    }),
    'calls by cost, page 1 (with total)': timed(() => {
      db.prepare(`SELECT count(*) FROM calls WHERE ${w}`).get(p);
      return db
        .prepare(`SELECT * FROM call_records WHERE ${w} ORDER BY cost_pusd DESC LIMIT 20`)
        .all(p);
    }),
  };
  db.close();
  return out;
}
