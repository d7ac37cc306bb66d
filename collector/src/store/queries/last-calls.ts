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
    const found = lastStarts(
      reader,
      f,
      by,
      hour,
      hour + HOUR_MS,
      list.map((g) => g.key),
    );
    for (const g of list) g.lastAt = found.get(g.key) ?? hour;
  }
}

/** The start of the last call in [a, b) of each group `keys` names (by `by`), when it has one. */
export function lastStarts(
  reader: Reader,
  f: QueryFilter,
  by: GroupBy,
  a: number,
  b: number,
  keys: (string | null)[],
): Map<string | null, number> {
  const params: Record<string, unknown> = { a, b };
  let where = reader.where(f, 'calls', params);
  let key = CALL_FIELD[by];
  if (by === 'error_type') {
    key = 'NULL';
    where += ' AND c.status = @success';
    params.success = reader.id('success');
  }
  const found = new Map<string | null, number>();
  if (by === 'project' && keys.length < 50) {
    // One project's calls of the range, through its index.
    const one = reader
      .prepare(
        `SELECT max(c.started_at) FROM calls AS c WHERE c.project IS @key AND c.started_at >= @a AND c.started_at < @b${where}`,
      )
      .pluck();
    for (const k of keys) {
      const at = one.get({ ...params, key: k === null ? null : reader.id(k) }) as number | null;
      if (at !== null) found.set(k, at);
    }
    return found;
  }
  // The range's calls newest first, until every group's last one is found: the
  // groups still active late in the range are found after a few rows.
  const rows = reader
    .prepare(
      `SELECT ${key} AS k, c.started_at AS m FROM calls AS c WHERE c.started_at >= @a AND c.started_at < @b${where} ORDER BY c.started_at DESC`,
    )
    .iterate(params) as IterableIterator<{ k: number | null; m: number }>;
  const wanted = new Set(keys);
  for (const r of rows) {
    const name = reader.value(r.k);
    if (!wanted.has(name) || found.has(name)) continue;
    found.set(name, r.m);
    if (found.size === wanted.size) break;
  }
  return found;
}
