using System.Text.Json;
using Microsoft.Data.Sqlite;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

public record RunRecord(Guid RunId, string Pipeline, string Status, string Stage, string? Trigger, Guid? ParentRunId,
    string? DatasetSha256, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public record RunEvent(long Id, Guid RunId, string Kind, DateTimeOffset At, JsonElement Detail);

public record ModelVersion(string Pipeline, int Version, Guid RunId, string ModelSha256, IReadOnlyDictionary<string, double> Metrics,
    bool Approved, IReadOnlyList<string> Reasons, DateTimeOffset CreatedAt, IReadOnlyList<string> Aliases);

/// <summary>
/// The registry's records in SQLite: runs with their status, an append-only event log, model versions and aliases.
/// Writes are serialised in-process and every version insert is keyed by run ID, so a redelivered event adds nothing.
/// </summary>
public sealed class RegistryStore
{
    readonly string _connectionString;
    readonly TimeProvider _clock;
    readonly SemaphoreSlim _write = new(1, 1);

    /// <summary>How far along a run is; a status only moves forward, so late or redelivered events never rewind it.</summary>
    static readonly Dictionary<string, int> Rank = new()
    {
        ["requested"] = 0, ["validating"] = 1, ["training"] = 2, ["gating"] = 3, ["deploying"] = 4,
        ["deployed"] = 9, ["rejected"] = 9, ["model-rejected"] = 9, ["failed"] = 10,
    };

    public RegistryStore(string path, TimeProvider clock)
    {
        _clock = clock;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var c = Open();
        Exec(c, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS runs(
              run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL,
              trigger TEXT, parent_run_id TEXT, dataset_sha256 TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS runs_pipeline ON runs(pipeline, created_at);
            CREATE TABLE IF NOT EXISTS run_events(
              id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS run_events_run ON run_events(run_id, id);
            CREATE TABLE IF NOT EXISTS versions(
              pipeline TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL UNIQUE, model_sha256 TEXT NOT NULL,
              metrics TEXT NOT NULL, approved INTEGER NOT NULL, reasons TEXT NOT NULL, created_at TEXT NOT NULL,
              PRIMARY KEY(pipeline, version));
            CREATE TABLE IF NOT EXISTS aliases(
              pipeline TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
              PRIMARY KEY(pipeline, alias));
            """);
    }

    SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    static void Exec(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, sql, args);
        cmd.ExecuteNonQuery();
    }

    static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    static string Json(object value) => JsonSerializer.Serialize(value, ArtifactStoreJson.Options);

    /// <summary>Appends an event to the run's log and moves its status forward (never back).</summary>
    public async Task RecordAsync(Guid runId, string pipeline, string kind, string? status, object detail,
        string? trigger = null, Guid? parent = null, string? datasetSha = null, string? error = null)
    {
        await _write.WaitAsync();
        try
        {
            using var c = Open();
            using var tx = c.BeginTransaction();
            var now = _clock.GetUtcNow().ToString("O");
            Exec(c, "INSERT INTO run_events(run_id, kind, at, detail) VALUES($r, $k, $at, $d)",
                ("$r", runId.ToString("N")), ("$k", kind), ("$at", now), ("$d", Json(detail)));
            Exec(c, """
                INSERT INTO runs(run_id, pipeline, status, stage, trigger, parent_run_id, dataset_sha256, error, created_at, updated_at)
                VALUES($r, $p, $s, $k, $t, $parent, $sha, $e, $at, $at)
                ON CONFLICT(run_id) DO UPDATE SET
                  trigger = COALESCE(runs.trigger, excluded.trigger),
                  parent_run_id = COALESCE(runs.parent_run_id, excluded.parent_run_id),
                  dataset_sha256 = COALESCE(runs.dataset_sha256, excluded.dataset_sha256),
                  updated_at = excluded.updated_at
                """,
                ("$r", runId.ToString("N")), ("$p", pipeline), ("$s", status ?? "requested"), ("$k", kind), ("$t", trigger),
                ("$parent", parent?.ToString("N")), ("$sha", datasetSha), ("$e", error), ("$at", now));
            if (status is not null)
            {
                using var read = Command(c, "SELECT status FROM runs WHERE run_id = $r", ("$r", runId.ToString("N")));
                var current = (string)read.ExecuteScalar()!;
                if (Rank[status] >= Rank[current])
                {
                    Exec(c, "UPDATE runs SET status = $s, stage = $k, error = COALESCE($e, error) WHERE run_id = $r",
                        ("$s", status), ("$k", kind), ("$e", error), ("$r", runId.ToString("N")));
                }
            }
            tx.Commit();
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>The version made from this run, or a new one with the next number and the gate's verdict. Idempotent on the run ID.</summary>
    public async Task<ModelVersion> AddVersionAsync(string pipeline, Guid runId, string modelSha256, IReadOnlyDictionary<string, double> metrics,
        Func<ModelVersion?, GateVerdict> gate)
    {
        await _write.WaitAsync();
        try
        {
            if (VersionOfRun(runId) is { } existing) return existing;
            var verdict = gate(Champion(pipeline));
            using var c = Open();
            using var tx = c.BeginTransaction();
            using var next = Command(c, "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE pipeline = $p", ("$p", pipeline));
            var version = Convert.ToInt32(next.ExecuteScalar());
            Exec(c, """
                INSERT INTO versions(pipeline, version, run_id, model_sha256, metrics, approved, reasons, created_at)
                VALUES($p, $v, $r, $sha, $m, $a, $reasons, $at)
                """,
                ("$p", pipeline), ("$v", version), ("$r", runId.ToString("N")), ("$sha", modelSha256), ("$m", Json(metrics)),
                ("$a", verdict.Approved ? 1 : 0), ("$reasons", Json(verdict.Reasons)), ("$at", _clock.GetUtcNow().ToString("O")));
            tx.Commit();
            return VersionOfRun(runId)!;
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// A person overrides a rejection: the version becomes approved, its reasons keep the gate's verdict and add the override,
    /// the run's log gets a <c>GateOverridden</c> entry (who, why, the verdict overridden), and the run moves back to deploying.
    /// </summary>
    public async Task<ModelVersion> ForceApproveAsync(string pipeline, int version, string reason, string by)
    {
        await _write.WaitAsync();
        try
        {
            var v = Version(pipeline, version) ?? throw new KeyNotFoundException($"'{pipeline}' has no version {version}.");
            if (v.Approved) throw new InvalidOperationException($"{pipeline} v{version} is already approved.");
            var reasons = v.Reasons.Append($"Approved by {by} over the gate's rejection: {reason}").ToList();
            var now = _clock.GetUtcNow().ToString("O");
            using var c = Open();
            using var tx = c.BeginTransaction();
            Exec(c, "UPDATE versions SET approved = 1, reasons = $reasons WHERE pipeline = $p AND version = $v",
                ("$reasons", Json(reasons)), ("$p", pipeline), ("$v", version));
            Exec(c, "INSERT INTO run_events(run_id, kind, at, detail) VALUES($r, 'GateOverridden', $at, $d)",
                ("$r", v.RunId.ToString("N")), ("$at", now), ("$d", Json(new { pipeline, version, by, reason, overridden = v.Reasons })));
            Exec(c, "UPDATE runs SET status = 'deploying', stage = 'GateOverridden', error = NULL, updated_at = $at WHERE run_id = $r",
                ("$at", now), ("$r", v.RunId.ToString("N")));
            tx.Commit();
            return Version(pipeline, version)!;
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Points an alias (e.g. champion) at a version.</summary>
    public async Task SetAliasAsync(string pipeline, string alias, int version)
    {
        await _write.WaitAsync();
        try
        {
            using var c = Open();
            Exec(c, """
                INSERT INTO aliases(pipeline, alias, version, updated_at) VALUES($p, $a, $v, $at)
                ON CONFLICT(pipeline, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, ("$p", pipeline), ("$a", alias), ("$v", version), ("$at", _clock.GetUtcNow().ToString("O")));
        }
        finally
        {
            _write.Release();
        }
    }

    public ModelVersion? Champion(string pipeline) =>
        Versions("v.pipeline = $p AND v.version = (SELECT version FROM aliases WHERE pipeline = $p AND alias = 'champion')", ("$p", pipeline)).FirstOrDefault();

    public ModelVersion? VersionOfRun(Guid runId) => Versions("v.run_id = $r", ("$r", runId.ToString("N"))).FirstOrDefault();

    public IReadOnlyList<ModelVersion> VersionsOf(string pipeline) => Versions("v.pipeline = $p", ("$p", pipeline));

    public ModelVersion? Version(string pipeline, int version) =>
        Versions("v.pipeline = $p AND v.version = $v", ("$p", pipeline), ("$v", version)).FirstOrDefault();

    IReadOnlyList<ModelVersion> Versions(string where, params (string, object?)[] args)
    {
        using var c = Open();
        using var cmd = Command(c, $"""
            SELECT v.pipeline, v.version, v.run_id, v.model_sha256, v.metrics, v.approved, v.reasons, v.created_at,
                   (SELECT group_concat(alias) FROM aliases a WHERE a.pipeline = v.pipeline AND a.version = v.version)
            FROM versions v WHERE {where} ORDER BY v.pipeline, v.version
            """, args);
        using var r = cmd.ExecuteReader();
        var list = new List<ModelVersion>();
        while (r.Read())
        {
            list.Add(new ModelVersion(r.GetString(0), r.GetInt32(1), Guid.Parse(r.GetString(2)), r.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(4), ArtifactStoreJson.Options)!,
                r.GetInt32(5) == 1, JsonSerializer.Deserialize<List<string>>(r.GetString(6), ArtifactStoreJson.Options)!,
                DateTimeOffset.Parse(r.GetString(7)), r.IsDBNull(8) ? [] : r.GetString(8).Split(',')));
        }
        return list;
    }

    public IReadOnlyList<RunRecord> Runs(string? pipeline, string? status, int limit)
    {
        using var c = Open();
        using var cmd = Command(c, """
            SELECT run_id, pipeline, status, stage, trigger, parent_run_id, dataset_sha256, error, created_at, updated_at FROM runs
            WHERE ($p IS NULL OR pipeline = $p) AND ($s IS NULL OR status = $s)
            ORDER BY created_at DESC, run_id LIMIT $n
            """, ("$p", pipeline), ("$s", status), ("$n", limit));
        return ReadRuns(cmd);
    }

    public RunRecord? Run(Guid runId)
    {
        using var c = Open();
        using var cmd = Command(c, """
            SELECT run_id, pipeline, status, stage, trigger, parent_run_id, dataset_sha256, error, created_at, updated_at FROM runs WHERE run_id = $r
            """, ("$r", runId.ToString("N")));
        return ReadRuns(cmd).FirstOrDefault();
    }

    static List<RunRecord> ReadRuns(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<RunRecord>();
        while (r.Read())
        {
            list.Add(new RunRecord(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : Guid.Parse(r.GetString(5)),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                DateTimeOffset.Parse(r.GetString(8)), DateTimeOffset.Parse(r.GetString(9))));
        }
        return list;
    }

    public IReadOnlyList<RunEvent> Events(Guid runId)
    {
        using var c = Open();
        using var cmd = Command(c, "SELECT id, run_id, kind, at, detail FROM run_events WHERE run_id = $r ORDER BY id", ("$r", runId.ToString("N")));
        using var r = cmd.ExecuteReader();
        var list = new List<RunEvent>();
        while (r.Read())
        {
            list.Add(new RunEvent(r.GetInt64(0), Guid.Parse(r.GetString(1)), r.GetString(2), DateTimeOffset.Parse(r.GetString(3)),
                JsonSerializer.Deserialize<JsonElement>(r.GetString(4))));
        }
        return list;
    }
}
