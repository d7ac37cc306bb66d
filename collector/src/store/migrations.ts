import { PUSD_PER_USD } from '@costlens/pricing';
import type Database from 'better-sqlite3';

/** pUSD -> USD in SQL: pricing's constant, as a REAL so the division is not an integer one. */
const USD = `${PUSD_PER_USD}.0`;

/**
 * Versioned schema. Each step runs once, in its own transaction, and is
 * recorded in schema_migrations; a database from a newer costlens is refused.
 * Add steps at the end; never edit one that has shipped. (Step 1 once also
 * created the call_records view; views hold no data and are now made by
 * ensureView() on every open, which replaces that one.)
 */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'calls and hourly rollups',
    sql: `
      -- Low-cardinality text (services, projects, users, models, sources) is stored once.
      CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);

      -- One row per call, compact: ids as bytes, text as string ids, the cost
      -- breakdown as whole pico-dollars. Read it through the call_records view.
      CREATE TABLE calls (
        trace_id BLOB NOT NULL, span_id BLOB NOT NULL,
        started_at INTEGER NOT NULL, duration_us INTEGER NOT NULL, ttft_us INTEGER,
        service INTEGER, project INTEGER, user INTEGER, account INTEGER,
        provider INTEGER, operation INTEGER, call_type INTEGER NOT NULL,
        request_model INTEGER, response_model INTEGER,
        input_tokens INTEGER, output_tokens INTEGER,
        cache_read_tokens INTEGER, cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER,
        reasoning_tokens INTEGER,
        image_count INTEGER, image_size INTEGER, image_resolution INTEGER, image_quality INTEGER,
        video_seconds REAL, video_resolution INTEGER, video_audio INTEGER, aspect_ratio INTEGER,
        status INTEGER NOT NULL, error_type INTEGER, error_message TEXT,
        retry_count INTEGER NOT NULL,
        cost_pusd INTEGER,
        cost_input INTEGER, cost_output INTEGER, cost_cache_read INTEGER,
        cost_cache_write INTEGER, cost_reasoning INTEGER, cost_media INTEGER,
        pricing_source INTEGER, unpriced_reason TEXT,
        prompt TEXT, output_path TEXT, attributes TEXT
      );
      CREATE UNIQUE INDEX calls_span ON calls (span_id, trace_id);
      CREATE INDEX calls_started ON calls (started_at);

      -- The call_records view is created by ensureView(), not here (see CALL_RECORDS).

      CREATE TABLE rollups_hourly (
        hour INTEGER NOT NULL,
        project TEXT NOT NULL, user TEXT NOT NULL, account TEXT NOT NULL,
        provider TEXT NOT NULL, model TEXT NOT NULL, call_type TEXT NOT NULL, status TEXT NOT NULL,
        calls INTEGER NOT NULL, failures INTEGER NOT NULL, unpriced INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL,
        cache_write_1h_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
        images INTEGER NOT NULL, video_seconds REAL NOT NULL,
        cost_pusd INTEGER NOT NULL,
        latency BLOB NOT NULL,
        PRIMARY KEY (hour, project, user, account, provider, model, call_type, status)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'budget messages',
    sql: `
      -- One row per budget message: a threshold crossed, or a forecast that the limit
      -- will be passed, once per budget and period (the key), kept across restarts.
      -- A message is written when it is due and delivered from here, with retries,
      -- so a slow or failing webhook never holds up ingest.
      CREATE TABLE budget_messages (
        budget TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        kind TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        delivered_at INTEGER,
        last_error TEXT,
        PRIMARY KEY (budget, period_start, kind)
      ) WITHOUT ROWID;
      CREATE INDEX budget_messages_due ON budget_messages (delivered_at, next_attempt_at);
    `,
  },
  {
    version: 3,
    name: 'query API indexes',
    sql: `
      -- The query API (store/queries.ts). Every index here is written near its
      -- end (the newest hour, one of a few projects), never at random places, so
      -- an export still touches few pages: indexes on the cost or latency alone,
      -- or on the user, would scatter each export over the whole index.
      -- A key bound to a project lists its calls, and finds its first and last
      -- call, without walking everyone's.
      CREATE INDEX calls_project ON calls (project, started_at);
      -- The call list sorted by cost or by latency, hour by hour: each hour's
      -- calls in order, merged, so a page reads a few entries per hour; the
      -- hour is the integer division the queries repeat exactly.
      CREATE INDEX calls_hour_cost ON calls (started_at / 3600000, cost_pusd, started_at);
      CREATE INDEX calls_hour_latency ON calls (started_at / 3600000, duration_us, started_at);
      -- Only failed calls have an error type: the breakdown by it reads them alone.
      CREATE INDEX calls_errors ON calls (started_at) WHERE error_type IS NOT NULL;
      -- A project's totals read its rollup rows, not every row of the hours.
      CREATE INDEX rollups_project ON rollups_hourly (project, hour);

      -- How often each hour's rollup rows changed once the hour was over (a late
      -- export, costlens recompute, a delete): the query API keeps the sums of
      -- past hours and tells by this when one is stale. Writes to the current
      -- hour, where live exports land, are not counted, so ingest pays a
      -- comparison per rollup row and nothing more.
      CREATE TABLE rollup_changes (hour INTEGER PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TRIGGER rollups_inserted AFTER INSERT ON rollups_hourly
        WHEN NEW.hour < (unixepoch() - 3600) * 1000
        BEGIN
          INSERT INTO rollup_changes (hour, version) VALUES (NEW.hour, 1)
            ON CONFLICT (hour) DO UPDATE SET version = version + 1;
        END;
      CREATE TRIGGER rollups_updated AFTER UPDATE ON rollups_hourly
        WHEN NEW.hour < (unixepoch() - 3600) * 1000 OR OLD.hour < (unixepoch() - 3600) * 1000
        BEGIN
          INSERT INTO rollup_changes (hour, version) VALUES (NEW.hour, 1)
            ON CONFLICT (hour) DO UPDATE SET version = version + 1;
          INSERT INTO rollup_changes (hour, version) SELECT OLD.hour, 1 WHERE OLD.hour <> NEW.hour
            ON CONFLICT (hour) DO UPDATE SET version = version + 1;
        END;
      CREATE TRIGGER rollups_deleted AFTER DELETE ON rollups_hourly
        WHEN OLD.hour < (unixepoch() - 3600) * 1000
        BEGIN
          INSERT INTO rollup_changes (hour, version) VALUES (OLD.hour, 1)
            ON CONFLICT (hour) DO UPDATE SET version = version + 1;
        END;
    `,
  },
  {
    version: 4,
    name: 'parent span of a call',
    sql: `
      -- The span that encloses a call's span (NULL for a root span). An outer span
      -- that arrives after the call's own span (the AI SDK's, around ours) finds it
      -- here and is not stored as a second record of the same call (store.ts).
      ALTER TABLE calls ADD COLUMN parent_span_id BLOB;
      CREATE INDEX calls_parent ON calls (parent_span_id, trace_id)
        WHERE parent_span_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'call list by cost or latency, day by day',
    sql: `
      -- The call list by cost or by latency (store/queries/day-merge.ts): each day's
      -- calls in order, merged, the window checked in the index itself, so a page of
      -- a month reads a few entries from each of 31 days rather than from each of 720
      -- hours. They replace v3's per-hour indexes: inserts still land in one part
      -- of each (today's), where an index on the cost alone would take them all over
      -- it (half the insert speed at a million calls). The day is the integer
      -- division the queries repeat exactly.
      DROP INDEX calls_hour_cost;
      DROP INDEX calls_hour_latency;
      CREATE INDEX calls_day_cost ON calls (started_at / 86400000, cost_pusd, started_at);
      CREATE INDEX calls_day_latency ON calls (started_at / 86400000, duration_us, started_at);
    `,
  },
];

/**
 * How a program reads calls: the call record's fields, text instead of string ids,
 * hex ids, USD beside the exact pico-dollars. A view holds no data, so it is not a
 * migration step: it follows the code, and opening a database replaces an older one.
 */
const CALL_RECORDS = `
  SELECT
    lower(hex(trace_id)) || lower(hex(span_id)) AS id,
    lower(hex(trace_id)) AS trace_id, lower(hex(span_id)) AS span_id,
    started_at, started_at + duration_us / 1000 AS finished_at,
    duration_us / 1000.0 AS duration_ms, ttft_us / 1000.0 AS ttft_ms,
    (SELECT value FROM strings WHERE id = c.service) AS service,
    (SELECT value FROM strings WHERE id = c.project) AS project,
    (SELECT value FROM strings WHERE id = c.user) AS user,
    (SELECT value FROM strings WHERE id = c.account) AS account,
    (SELECT value FROM strings WHERE id = c.provider) AS provider,
    (SELECT value FROM strings WHERE id = c.operation) AS operation,
    (SELECT value FROM strings WHERE id = c.call_type) AS call_type,
    (SELECT value FROM strings WHERE id = c.request_model) AS request_model,
    (SELECT value FROM strings WHERE id = c.response_model) AS response_model,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
    reasoning_tokens, image_count,
    (SELECT value FROM strings WHERE id = c.image_size) AS image_size,
    (SELECT value FROM strings WHERE id = c.image_resolution) AS image_resolution,
    (SELECT value FROM strings WHERE id = c.image_quality) AS image_quality,
    video_seconds,
    (SELECT value FROM strings WHERE id = c.video_resolution) AS video_resolution,
    video_audio,
    (SELECT value FROM strings WHERE id = c.aspect_ratio) AS aspect_ratio,
    (SELECT value FROM strings WHERE id = c.status) AS status,
    (SELECT value FROM strings WHERE id = c.error_type) AS error_type,
    error_message, retry_count,
    cost_pusd, cost_pusd / ${USD} AS cost_usd,
    CASE WHEN cost_input IS NULL THEN NULL ELSE json_object(
      'input', cost_input / ${USD}, 'output', cost_output / ${USD},
      'cache_read', cost_cache_read / ${USD}, 'cache_write', cost_cache_write / ${USD},
      'reasoning', cost_reasoning / ${USD}, 'media', cost_media / ${USD}) END AS cost_breakdown,
    cost_input, cost_output, cost_cache_read, cost_cache_write, cost_reasoning, cost_media,
    (SELECT value FROM strings WHERE id = c.pricing_source) AS pricing_source,
    unpriced_reason, prompt, output_path, attributes
  FROM calls AS c
`;

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/**
 * Brings the database to SCHEMA_VERSION (or `target`, to make a database as an
 * earlier costlens left it); returns the versions it applied.
 */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the database is at schema version ${current}, newer than this costlens (${SCHEMA_VERSION}); upgrade costlens or use another --db`,
    );
  }
  const applied: number[] = [];
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    })();
    applied.push(m.version);
  }
  ensureView(db, 'call_records', CALL_RECORDS);
  return applied;
}

/** Creates or replaces a view whose definition is not `select`, in one transaction. */
function ensureView(db: Database.Database, name: string, select: string): void {
  const sql = `CREATE VIEW ${name} AS ${select.trim()}`;
  const current = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?")
    .pluck()
    .get(name);
  if (current === sql) return;
  db.transaction(() => {
    db.exec(`DROP VIEW IF EXISTS ${name}`);
    db.exec(sql);
  }).immediate();
}
