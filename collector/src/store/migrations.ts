import type Database from 'better-sqlite3';

/**
 * Versioned schema. Each step runs once, in its own transaction, and is
 * recorded in schema_migrations; a database from a newer costlens is refused.
 * Add steps at the end; never edit one that has shipped.
 */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'calls and hourly rollups',
    sql: `
      CREATE TABLE calls (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        ttft_ms REAL,
        service TEXT, project TEXT, user TEXT, account TEXT,
        provider TEXT, operation TEXT, call_type TEXT NOT NULL,
        request_model TEXT, response_model TEXT,
        input_tokens INTEGER, output_tokens INTEGER,
        cache_read_tokens INTEGER, cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER,
        reasoning_tokens INTEGER,
        image_count INTEGER, image_size TEXT, image_resolution TEXT, image_quality TEXT,
        video_seconds REAL, video_resolution TEXT, video_audio INTEGER, aspect_ratio TEXT,
        status TEXT NOT NULL, error_type TEXT, error_message TEXT,
        retry_count INTEGER NOT NULL DEFAULT 0,
        cost_pusd INTEGER,
        cost_breakdown TEXT, pricing_source TEXT, unpriced_reason TEXT,
        prompt TEXT, output_path TEXT, attributes TEXT
      ) WITHOUT ROWID;
      CREATE INDEX calls_started ON calls (started_at);

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
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Brings the database to SCHEMA_VERSION; returns the versions it applied. */
export function migrate(db: Database.Database): number[] {
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
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    })();
    applied.push(m.version);
  }
  return applied;
}
