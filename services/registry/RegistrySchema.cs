using System.Data.Common;
using static MlOps.Registry.RegistryStore;

namespace MlOps.Registry;

/// <summary>
/// The registry database's schema and its history, the same on SQLite and PostgreSQL but for a few words (<see cref="Dialect"/>):
/// each step runs once, in order, recorded in <c>PRAGMA user_version</c> (SQLite) or the table <c>mlops_schema</c> (PostgreSQL),
/// and a database a newer build has migrated is refused.
/// </summary>
public static class RegistrySchema
{
    /// <summary>Where SQLite and PostgreSQL write the schema differently: identity columns, 64-bit integers, append-only triggers.</summary>
    sealed record Dialect(string Identity, string BigInt, string Prelude, Func<string, string> AppendOnly);

    static readonly Dialect SqliteSql = new("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "", t =>
        $"CREATE TRIGGER {t}_append_only_u BEFORE UPDATE ON {t} BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;\n" +
        $"CREATE TRIGGER {t}_append_only_d BEFORE DELETE ON {t} BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;");

    static readonly Dialect PostgresSql = new("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT",
        "CREATE FUNCTION mlops_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql;",
        t => $"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION mlops_append_only();");

    /// <summary>The schema's history: each step runs once, in order, in one transaction with its version bump.</summary>
    static string[] Migrations(Dialect d) =>
    [
        $$"""
        CREATE TABLE IF NOT EXISTS runs(
          run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL,
          trigger TEXT, parent_run_id TEXT, dataset_sha256 TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS runs_pipeline ON runs(pipeline, created_at);
        CREATE TABLE IF NOT EXISTS run_events(
          id {{d.Identity}}, run_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS run_events_run ON run_events(run_id, id);
        CREATE TABLE IF NOT EXISTS versions(
          pipeline TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL UNIQUE, model_sha256 TEXT NOT NULL,
          metrics TEXT NOT NULL, approved INTEGER NOT NULL, reasons TEXT NOT NULL, created_at TEXT NOT NULL,
          PRIMARY KEY(pipeline, version));
        CREATE TABLE IF NOT EXISTS aliases(
          pipeline TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
          PRIMARY KEY(pipeline, alias));
        """,
        $$"""
        ALTER TABLE runs ADD COLUMN spec_sha256 TEXT;
        ALTER TABLE runs ADD COLUMN code_version TEXT;
        ALTER TABLE runs ADD COLUMN seed INTEGER;
        ALTER TABLE runs ADD COLUMN dataset_rows {{d.BigInt}};
        ALTER TABLE runs ADD COLUMN dataset_bytes {{d.BigInt}};
        ALTER TABLE runs ADD COLUMN cached_from TEXT;
        CREATE INDEX runs_status ON runs(status, created_at);
        CREATE INDEX runs_trigger ON runs(trigger, created_at);
        CREATE INDEX runs_created ON runs(created_at);
        ALTER TABLE versions ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
        CREATE TABLE model_log(
          id {{d.Identity}}, pipeline TEXT NOT NULL, version INTEGER, kind TEXT NOT NULL, at TEXT NOT NULL,
          actor TEXT NOT NULL, reason TEXT, detail TEXT NOT NULL);
        CREATE INDEX model_log_pipeline ON model_log(pipeline, kind, at);
        {{d.Prelude}}
        {{d.AppendOnly("model_log")}}
        {{d.AppendOnly("run_events")}}
        """,
        // When each event was published and how long its stage had worked on the run by then (StageClock).
        """
        ALTER TABLE run_events ADD COLUMN sent_at TEXT;
        ALTER TABLE run_events ADD COLUMN stage_seconds DOUBLE PRECISION;
        """,
        // The store calls the stage made for the run before publishing the event, by operation (JSON; StoreCalls).
        """
        ALTER TABLE run_events ADD COLUMN store_calls TEXT;
        """,
    ];

    public static int Version => Migrations(SqliteSql).Length;

    /// <summary>Runs the steps the database has not seen; on PostgreSQL under an advisory lock, so replicas starting together migrate once.</summary>
    public static void Migrate(DbConnection c, bool postgres)
    {
        var steps = Migrations(postgres ? PostgresSql : SqliteSql);
        using var lockTx = c.BeginTransaction();
        if (postgres)
        {
            Exec(c, "SELECT pg_advisory_xact_lock(727274)");
            Exec(c, "CREATE TABLE IF NOT EXISTS mlops_schema(version INTEGER NOT NULL); INSERT INTO mlops_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM mlops_schema)");
        }
        using var read = Command(c, postgres ? "SELECT version FROM mlops_schema" : "PRAGMA user_version");
        var current = Convert.ToInt32(read.ExecuteScalar());
        // A database a newer MlOps has migrated may hold columns and rules this build does not know: refuse rather than guess.
        if (current > steps.Length)
            throw new InvalidOperationException($"The registry database is at schema version {current}, newer than this build's {steps.Length}: " +
                "a newer MlOps has used it. Run that version (or newer), or point Registry at another database.");
        for (var step = current; step < steps.Length; step++)
        {
            Exec(c, steps[step]);
            Exec(c, postgres ? $"UPDATE mlops_schema SET version = {step + 1}" : $"PRAGMA user_version = {step + 1}");
        }
        lockTx.Commit();
    }
}
