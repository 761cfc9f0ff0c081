using System.Data.Common;
using MlOps.Registry;

namespace MlOps.Tests;

/// <summary>The registry's store, the same contract on SQLite and on a real PostgreSQL server.</summary>
public class RegistryStoreTests
{
    public static TheoryData<string> Backends() => new() { "sqlite", "postgres" };

    static RegistryStore Create(string backend, out Func<RegistryStore> reopen)
    {
        if (backend == "sqlite")
        {
            var path = Path.Combine(TestInfra.TempDirectory(), "registry.db");
            reopen = () => RegistryStore.Sqlite(path, TimeProvider.System);
        }
        else
        {
            var connection = TestInfra.NewPostgresDatabase();
            reopen = () => RegistryStore.Postgres(connection, TimeProvider.System);
        }
        return reopen();
    }

    static readonly Dictionary<string, double> Metrics = new() { ["accuracy"] = 0.9 };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task VersionsAreNumberedOncePerRunEvenWhenWrittenConcurrently(string backend)
    {
        var store = Create(backend, out var reopen);
        var second = reopen(); // another "replica" on the same database; migrating again changes nothing
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(runs.SelectMany(run => new[] { store, second }.Select(s =>
            Task.Run(() => s.AddVersionAsync("p", run, "sha", Metrics, _ => new GateVerdict(true, ["ok"]))))));
        var versions = store.VersionsOf("p");
        Assert.Equal(Enumerable.Range(1, 20), versions.Select(v => v.Version));
        Assert.Equal(runs.Order(), versions.Select(v => v.RunId).Order());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AStatusOnlyMovesForwardAndFactsAreWrittenOnce(string backend)
    {
        var store = Create(backend, out _);
        var run = Guid.NewGuid();
        await store.RecordAsync(run, "p", "DataArrived", RunStatus.Validating, new { }, new RunFacts(Trigger: "Upload", DatasetSha: "abc", Seed: 42, Bytes: 10));
        await store.RecordAsync(run, "p", "ModelDeployed", RunStatus.Deployed, new { });
        await store.RecordAsync(run, "p", "DataValidated", RunStatus.Training, new { }, new RunFacts(Rows: 5, DatasetSha: "other")); // late
        var record = store.Run(run)!;
        Assert.Equal("deployed", record.Status);
        Assert.Equal(("abc", 42, 10L, 5L), (record.DatasetSha256, record.Seed!.Value, record.DatasetBytes!.Value, record.DatasetRows!.Value));
        Assert.Equal(3, store.Events(run).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TheModelLogIsAppendOnlyAndAnswersWhatServedWhen(string backend)
    {
        var store = Create(backend, out _);
        await store.RecordAsync(Guid.NewGuid(), "p", "DataArrived", RunStatus.Validating, new { });
        var t0 = DateTimeOffset.Parse("2026-11-01T10:00:00Z");
        await store.LogAsync("p", 1, "deployed", "deploy", null, new { runId = Guid.NewGuid() }, t0);
        await store.LogAsync("p", 2, "deployed", "deploy", null, new { runId = Guid.NewGuid() }, t0.AddHours(1));
        Assert.Null(store.ServedAt("p", t0.AddMinutes(-1)));
        Assert.Equal(1, store.ServedAt("p", t0.AddMinutes(30))!.Version);
        Assert.Equal(2, store.ServedAt("p", t0.AddHours(2))!.Version);

        var tampering = Assert.ThrowsAny<DbException>(() => store.ExecuteForTest("UPDATE model_log SET actor = 'mallory'"));
        Assert.Contains("append-only", tampering.Message);
        Assert.ThrowsAny<DbException>(() => store.ExecuteForTest("DELETE FROM run_events"));
        Assert.Equal(2, store.Log("p").Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AForcedApprovalIsRecordedAndCannotBeRepeated(string backend)
    {
        var store = Create(backend, out _);
        var run = Guid.NewGuid();
        await store.RecordAsync(run, "p", "ModelRejected", RunStatus.ModelRejected, new { });
        await store.AddVersionAsync("p", run, "sha", Metrics, _ => new GateVerdict(false, ["worse"]));
        var approved = await store.ForceApproveAsync("p", 1, "needed for the demo", "alice");
        Assert.True(approved.Approved);
        Assert.Equal("deploying", store.Run(run)!.Status);
        Assert.Contains(store.Log("p"), e => e.Kind == "gate-overridden" && e.Actor == "alice" && e.Reason == "needed for the demo");
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ForceApproveAsync("p", 1, "again", "bob"));
    }

    /// <summary>What the first release wrote (schema version 1), kept verbatim: the fixture for "an older database is migrated forward".</summary>
    const string FirstSchema = """
        CREATE TABLE runs(
          run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL,
          trigger TEXT, parent_run_id TEXT, dataset_sha256 TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX runs_pipeline ON runs(pipeline, created_at);
        CREATE TABLE run_events(id IDENTITY, run_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE TABLE versions(
          pipeline TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL UNIQUE, model_sha256 TEXT NOT NULL,
          metrics TEXT NOT NULL, approved INTEGER NOT NULL, reasons TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY(pipeline, version));
        CREATE TABLE aliases(
          pipeline TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(pipeline, alias));
        INSERT INTO runs VALUES('RUN', 'old', 'deployed', 'deploy', 'Upload', NULL, 'abc', NULL, '2025-06-01T10:00:00.0000000+00:00', '2025-06-01T10:05:00.0000000+00:00');
        INSERT INTO run_events(run_id, kind, at, detail) VALUES('RUN', 'DataArrived', '2025-06-01T10:00:00.0000000+00:00', '{}');
        INSERT INTO versions VALUES('old', 1, 'RUN', 'sha', '{"accuracy":0.91}', 1, '["ok"]', '2025-06-01T10:04:00.0000000+00:00');
        INSERT INTO aliases VALUES('old', 'champion', 1, '2025-06-01T10:05:00.0000000+00:00');
        """;

    /// <summary>
    /// docs/registry.md: "migrated forward on start under a lock". A database at schema 1 with a deployed run keeps every row,
    /// gains the later columns and tables (tags, the append-only model log), and is not migrated twice; a database from a newer
    /// build is refused with what to do, not opened.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AnOlderDatabaseIsMigratedForwardKeepingItsRowsAndANewerOneIsRefused(string backend)
    {
        var run = Guid.NewGuid();
        Func<DbConnection> connect;
        Func<RegistryStore> open;
        string versionSql;
        if (backend == "sqlite")
        {
            var path = Path.Combine(TestInfra.TempDirectory(), "registry.db");
            connect = () => new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
            open = () => RegistryStore.Sqlite(path, TimeProvider.System);
            versionSql = "PRAGMA user_version";
        }
        else
        {
            var connection = TestInfra.NewPostgresDatabase();
            connect = () => new Npgsql.NpgsqlConnection(connection);
            open = () => RegistryStore.Postgres(connection, TimeProvider.System);
            versionSql = "SELECT version FROM mlops_schema";
        }
        object? Scalar(string sql)
        {
            using var c = connect();
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }
        var identity = backend == "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
        Scalar(FirstSchema.Replace("RUN", run.ToString("N")).Replace("IDENTITY", identity) +
               (backend == "sqlite" ? "PRAGMA user_version = 1;" : "CREATE TABLE mlops_schema(version INTEGER NOT NULL); INSERT INTO mlops_schema VALUES(1);"));

        var store = open();
        Assert.Equal(RegistrySchema.Version, Convert.ToInt32(Scalar(versionSql)));
        var old = store.Run(run)!;
        Assert.Equal(("old", "deployed", "abc"), (old.Pipeline, old.Status, old.DatasetSha256));
        Assert.Null(old.SpecSha256); // a column the first schema lacked: added, empty for old rows
        var version = Assert.Single(store.VersionsOf("old"));
        Assert.Equal((1, 0.91, true), (version.Version, version.Metrics["accuracy"], version.Approved));
        Assert.Equal(["champion"], version.Aliases);
        Assert.Empty(version.Tags!);
        await store.SetTagsAsync("old", 1, new Dictionary<string, string> { ["migrated"] = "yes" });
        await store.LogAsync("old", 1, "note", "test", null, new { }, DateTimeOffset.UtcNow);
        Assert.Single(store.Log("old"));
        await store.RecordAsync(run, "old", "RetirementRequested", RunStatus.Retired, new { });
        Assert.Equal(["DataArrived", "RetirementRequested"], store.Events(run).Select(e => e.Kind));
        Assert.ThrowsAny<DbException>(() => store.ExecuteForTest("DELETE FROM model_log")); // the new table came with its rule

        var again = open(); // a second start (or replica) runs no step twice
        Assert.Equal(RegistrySchema.Version, Convert.ToInt32(Scalar(versionSql)));
        Assert.Equal("yes", again.Version("old", 1)!.Tags!["migrated"]);

        Scalar(backend == "sqlite" ? $"PRAGMA user_version = {RegistrySchema.Version + 1}" : $"UPDATE mlops_schema SET version = {RegistrySchema.Version + 1}");
        var newer = Assert.Throws<InvalidOperationException>(open);
        Assert.Contains($"schema version {RegistrySchema.Version + 1}, newer than this build's {RegistrySchema.Version}", newer.Message);
    }
}
