using System.Text.Json;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Registry;

public record RunRecord(Guid RunId, string Pipeline, string Status, string Stage, string? Trigger, Guid? ParentRunId,
    string? DatasetSha256, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? SpecSha256 = null, string? CodeVersion = null, int? Seed = null, long? DatasetRows = null, long? DatasetBytes = null, Guid? CachedFrom = null)
{
    /// <summary>The status as the lifecycle's type (<see cref="Status"/> is its name, as the API and the database write it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RunStatus State => RunLifecycle.Parse(Status);
}

/// <summary>What a run's record may learn from an event beyond its status (each is written once, the first time it is known).</summary>
public record RunFacts(string? Trigger = null, Guid? Parent = null, string? DatasetSha = null, string? Error = null,
    string? SpecSha = null, string? CodeVersion = null, int? Seed = null, long? Rows = null, long? Bytes = null, Guid? CachedFrom = null);

/// <summary>
/// One entry of a run's log. <paramref name="At"/> is when the registry recorded it; <paramref name="SentAt"/> when the
/// event was published and <paramref name="StageSeconds"/> how long the stage that published it had worked on the run until
/// then (<see cref="MlOps.ServiceDefaults.Messaging.StageClock"/>), and <paramref name="StoreCalls"/> the object-store calls that
/// stage made for the run before publishing it, by operation (<see cref="StoreCalls"/>), where the event carries them.
/// </summary>
public record RunEvent(long Id, Guid RunId, string Kind, DateTimeOffset At, JsonElement Detail, DateTimeOffset? SentAt = null, double? StageSeconds = null,
    IReadOnlyDictionary<string, long>? StoreCalls = null);

/// <summary>
/// The registry's records in SQLite: runs with their status and lineage facts, each run's append-only event log, model
/// versions with tags, aliases, and each model's append-only log (versions, verdicts, overrides, alias moves, deployments,
/// rollbacks). The schema and its migrations are <see cref="RegistrySchema"/>; the logs refuse UPDATE and DELETE (triggers).
/// The same code runs on PostgreSQL (<see cref="Postgres"/>), so the registry can have more than one replica: writes are
/// serialised per process, version numbers per pipeline by a transaction-scoped advisory lock, statuses move forward in
/// one conditional UPDATE, and every version insert is keyed by run ID, so a redelivered event adds nothing.
/// Runs and their events are here; model versions, tags, aliases and the model log in <c>RegistryStore.Models.cs</c>.
/// </summary>
public sealed partial class RegistryStore
{
    readonly Func<DbConnection> _connect;
    readonly bool _postgres;
    readonly TimeProvider _clock;
    readonly SemaphoreSlim _write = new(1, 1);

    /// <summary>How far along a run is (<see cref="RunLifecycle"/>); a status only moves forward, so late or redelivered events never rewind it.</summary>
    static readonly string RankSql = "CASE status " + string.Join(" ", RunLifecycle.All.Select(s => $"WHEN '{s.Name()}' THEN {RunLifecycle.Of(s).Rank}")) + " ELSE 0 END";

    RegistryStore(Func<DbConnection> connect, bool postgres, TimeProvider clock)
    {
        _connect = connect;
        _postgres = postgres;
        _clock = clock;
        using var c = Open();
        if (!postgres) Exec(c, "PRAGMA journal_mode=WAL;");
        RegistrySchema.Migrate(c, postgres);
    }

    /// <summary>SQLite in a file (created with its folder), write-ahead logged.</summary>
    public static RegistryStore Sqlite(string path, TimeProvider clock)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        return new RegistryStore(() => new SqliteConnection(connection), false, clock);
    }

    /// <summary>PostgreSQL through Npgsql; the connection string's database must exist.</summary>
    public static RegistryStore Postgres(string connectionString, TimeProvider clock)
    {
        var source = NpgsqlDataSource.Create(connectionString);
        return new RegistryStore(() => source.CreateConnection(), true, clock);
    }

    DbConnection Open()
    {
        var c = _connect();
        c.Open();
        return c;
    }

    internal static void Exec(DbConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, sql, args);
        cmd.ExecuteNonQuery();
    }

    internal static DbCommand Command(DbConnection c, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var parameter = cmd.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(parameter);
        }
        return cmd;
    }

    static string Json(object value) => JsonSerializer.Serialize(value, ArtifactStoreJson.Options);

    /// <summary>Appends an event to the run's log, records what the event tells about the run, and moves its status forward (never back).</summary>
    public async Task RecordAsync(Guid runId, string pipeline, string kind, RunStatus? status, object detail, RunFacts? facts = null,
        EventMaking? made = null)
    {
        facts ??= new RunFacts();
        made ??= new EventMaking();
        await _write.WaitAsync();
        try
        {
            using var c = Open();
            using var tx = c.BeginTransaction();
            var now = _clock.GetUtcNow().ToString("O");
            Exec(c, "INSERT INTO run_events(run_id, kind, at, detail, sent_at, stage_seconds, store_calls) VALUES(@r, @k, @at, @d, CAST(@sent AS TEXT), CAST(@stage AS DOUBLE PRECISION), CAST(@calls AS TEXT))",
                ("@r", runId.ToString("N")), ("@k", kind), ("@at", now), ("@d", Json(detail)), ("@sent", made.SentAt?.ToString("O")), ("@stage", made.StageSeconds),
                ("@calls", made.StoreCalls is { } calls ? Json(calls) : null));
            Exec(c, """
                INSERT INTO runs(run_id, pipeline, status, stage, trigger, parent_run_id, dataset_sha256, error, created_at, updated_at,
                                 spec_sha256, code_version, seed, dataset_rows, dataset_bytes, cached_from)
                VALUES(@r, @p, @s, @k, CAST(@t AS TEXT), CAST(@parent AS TEXT), CAST(@sha AS TEXT), CAST(@e AS TEXT), @at, @at,
                       CAST(@spec AS TEXT), CAST(@code AS TEXT), CAST(@seed AS INTEGER), CAST(@rows AS BIGINT), CAST(@bytes AS BIGINT), CAST(@cached AS TEXT))
                ON CONFLICT(run_id) DO UPDATE SET
                  trigger = COALESCE(runs.trigger, excluded.trigger),
                  parent_run_id = COALESCE(runs.parent_run_id, excluded.parent_run_id),
                  dataset_sha256 = COALESCE(runs.dataset_sha256, excluded.dataset_sha256),
                  spec_sha256 = COALESCE(runs.spec_sha256, excluded.spec_sha256),
                  code_version = COALESCE(runs.code_version, excluded.code_version),
                  seed = COALESCE(runs.seed, excluded.seed),
                  dataset_rows = COALESCE(runs.dataset_rows, excluded.dataset_rows),
                  dataset_bytes = COALESCE(runs.dataset_bytes, excluded.dataset_bytes),
                  cached_from = COALESCE(runs.cached_from, excluded.cached_from),
                  updated_at = excluded.updated_at
                """,
                ("@r", runId.ToString("N")), ("@p", pipeline), ("@s", (status ?? RunStatus.Requested).Name()), ("@k", kind), ("@t", facts.Trigger),
                ("@parent", facts.Parent?.ToString("N")), ("@sha", facts.DatasetSha), ("@e", facts.Error), ("@at", now),
                ("@spec", facts.SpecSha), ("@code", facts.CodeVersion), ("@seed", facts.Seed), ("@rows", facts.Rows), ("@bytes", facts.Bytes),
                ("@cached", facts.CachedFrom?.ToString("N")));
            if (status is not null)
            {
                // One conditional UPDATE: concurrent events (or replicas) cannot rewind a status between a read and a write.
                Exec(c, $"UPDATE runs SET status = @s, stage = @k, error = COALESCE(CAST(@e AS TEXT), error) WHERE run_id = @r AND {RankSql} <= @rank",
                    ("@s", status.Value.Name()), ("@k", kind), ("@e", facts.Error), ("@r", runId.ToString("N")), ("@rank", RunLifecycle.Of(status.Value).Rank));
            }
            tx.Commit();
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Runs one statement as is: only for tests that show what the database itself refuses.</summary>
    internal void ExecuteForTest(string sql)
    {
        using var c = Open();
        Exec(c, sql);
    }

    const string RunColumns = "run_id, pipeline, status, stage, trigger, parent_run_id, dataset_sha256, error, created_at, updated_at, " +
        "spec_sha256, code_version, seed, dataset_rows, dataset_bytes, cached_from";

    /// <summary>Runs, newest first, filtered by pipeline, status, trigger and creation time (each optional).</summary>
    public IReadOnlyList<RunRecord> Runs(string? pipeline, string? status, int limit, string? trigger = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        using var c = Open();
        using var cmd = Command(c, $"""
            SELECT {RunColumns} FROM runs
            WHERE (CAST(@p AS TEXT) IS NULL OR pipeline = CAST(@p AS TEXT)) AND (CAST(@s AS TEXT) IS NULL OR status = CAST(@s AS TEXT))
              AND (CAST(@t AS TEXT) IS NULL OR trigger = CAST(@t AS TEXT))
              AND (CAST(@from AS TEXT) IS NULL OR created_at >= CAST(@from AS TEXT)) AND (CAST(@to AS TEXT) IS NULL OR created_at <= CAST(@to AS TEXT))
            ORDER BY created_at DESC, run_id LIMIT @n
            """, ("@p", pipeline), ("@s", status), ("@t", trigger), ("@from", from?.ToUniversalTime().ToString("O")),
            ("@to", to?.ToUniversalTime().ToString("O")), ("@n", limit));
        return ReadRuns(cmd);
    }

    public RunRecord? Run(Guid runId)
    {
        using var c = Open();
        using var cmd = Command(c, $"SELECT {RunColumns} FROM runs WHERE run_id = @r", ("@r", runId.ToString("N")));
        return ReadRuns(cmd).FirstOrDefault();
    }

    static List<RunRecord> ReadRuns(DbCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<RunRecord>();
        while (r.Read())
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            list.Add(new RunRecord(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3),
                Text(4), Text(5) is { } parent ? Guid.Parse(parent) : null, Text(6), Text(7),
                DateTimeOffset.Parse(r.GetString(8)), DateTimeOffset.Parse(r.GetString(9)),
                Text(10), Text(11), r.IsDBNull(12) ? null : r.GetInt32(12), r.IsDBNull(13) ? null : r.GetInt64(13),
                r.IsDBNull(14) ? null : r.GetInt64(14), Text(15) is { } cached ? Guid.Parse(cached) : null));
        }
        return list;
    }

    public IReadOnlyList<RunEvent> Events(Guid runId)
    {
        using var c = Open();
        using var cmd = Command(c, "SELECT id, run_id, kind, at, detail, sent_at, stage_seconds, store_calls FROM run_events WHERE run_id = @r ORDER BY id", ("@r", runId.ToString("N")));
        using var r = cmd.ExecuteReader();
        var list = new List<RunEvent>();
        while (r.Read())
        {
            list.Add(new RunEvent(r.GetInt64(0), Guid.Parse(r.GetString(1)), r.GetString(2), DateTimeOffset.Parse(r.GetString(3)),
                JsonSerializer.Deserialize<JsonElement>(r.GetString(4)), r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5)),
                r.IsDBNull(6) ? null : r.GetDouble(6), r.IsDBNull(7) ? null : JsonSerializer.Deserialize<Dictionary<string, long>>(r.GetString(7))));
        }
        return list;
    }
}
