import { CALL_FIELD, type GroupBy, HOUR_MS, type QueryFilter, type Reader } from './filter.js';
import type { Group } from './totals.js';

/**
 * The exact start of each group's last call. Groups whose last call fell in the
 * partial hour at the end have it already; for the others the rollups tell the hour,
 * and the calls of that hour tell the time (the hour itself once its calls are gone).
 */
export function findLastCalls(
  reader: Reader,
  f: QueryFilter,
  by: GroupBy,
  groups: (Group & { lastHour: number | null })[],
): void {
  const pending = groups.filter(
    (g) => g.lastHour !== null && (g.lastAt === null || g.lastAt < g.lastHour),
  );
  const byHour = new Map<number, (Group & { lastHour: number | null })[]>();
  for (const g of pending) {
    const list = byHour.get(g.lastHour!) ?? [];
    list.push(g);
    byHour.set(g.lastHour!, list);
  }
  for (const [hour, list] of byHour) {
    const params: Record<string, unknown> = { a: hour, b: hour + HOUR_MS };
    let where = reader.where(f, 'calls', params);
    let key = CALL_FIELD[by];
    if (by === 'error_type') {
      key = 'NULL';
      where += ' AND c.status = @success';
      params.success = reader.id('success');
    }
    let found: Map<string | null, number>;
    if (by === 'project' && list.length < 50) {
      // One project's calls of the hour, through its index.
      found = new Map();
      const one = reader
        .prepare(
          `SELECT max(c.started_at) FROM calls AS c WHERE c.project IS @key AND c.started_at >= @a AND c.started_at < @b${where}`,
        )
        .pluck();
      for (const g of list) {
        const at = one.get({ ...params, key: g.key === null ? null : reader.id(g.key) }) as
          | number
          | null;
        if (at !== null) found.set(g.key, at);
      }
    } else {
      // The hour's calls newest first, until every group's last one is found: the
      // groups still active late in the hour are found after a few rows.
      found = new Map();
      const rows = reader
        .prepare(
          `SELECT ${key} AS k, c.started_at AS m FROM calls AS c WHERE c.started_at >= @a AND c.started_at < @b${where} ORDER BY c.started_at DESC`,
        )
        .iterate(params) as IterableIterator<{ k: number | null; m: number }>;
      const wanted = new Set(list.map((g) => g.key));
      for (const r of rows) {
        const name = reader.value(r.k);
        if (!wanted.has(name) || found.has(name)) continue;
        found.set(name, r.m);
        if (found.size === wanted.size) break;
      }
    }
    for (const g of list) g.lastAt = found.get(g.key) ?? hour;
  }
}
