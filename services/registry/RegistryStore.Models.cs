using System.Text.Json;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>One entry of a model's append-only log: a version created, a gate verdict overridden, an alias moved, a deployment, a rollback.</summary>
public record ModelLogEntry(long Id, string Pipeline, int? Version, string Kind, DateTimeOffset At, string Actor, string? Reason, JsonElement Detail);

public record ModelVersion(string Pipeline, int Version, Guid RunId, string ModelSha256, IReadOnlyDictionary<string, double> Metrics,
    bool Approved, IReadOnlyList<string> Reasons, DateTimeOffset CreatedAt, IReadOnlyList<string> Aliases,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>The registry's model side: versions with their gate verdicts and tags, aliases, and each model's append-only log.</summary>
public sealed partial class RegistryStore
{
    /// <summary>Appends to a model's log (the table refuses updates and deletes).</summary>
    public async Task LogAsync(string pipeline, int? version, string kind, string actor, string? reason, object detail, DateTimeOffset? at = null)
    {
        await _write.WaitAsync();
        try
        {
            using var c = Open();
            Exec(c, "INSERT INTO model_log(pipeline, version, kind, at, actor, reason, detail) VALUES(@p, CAST(@v AS INTEGER), @k, @at, @a, CAST(@why AS TEXT), @d)",
                ("@p", pipeline), ("@v", version), ("@k", kind), ("@at", (at ?? _clock.GetUtcNow()).ToUniversalTime().ToString("O")),
                ("@a", actor), ("@why", reason), ("@d", Json(detail)));
        }
        finally
        {
            _write.Release();
        }
    }

    public IReadOnlyList<ModelLogEntry> Log(string pipeline, string? kind = null, int limit = 1000)
    {
        using var c = Open();
        using var cmd = Command(c, """
            SELECT id, pipeline, version, kind, at, actor, reason, detail FROM model_log
            WHERE pipeline = @p AND (CAST(@k AS TEXT) IS NULL OR kind = CAST(@k AS TEXT)) ORDER BY id LIMIT @n
            """, ("@p", pipeline), ("@k", kind), ("@n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<ModelLogEntry>();
        while (r.Read())
            list.Add(new ModelLogEntry(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2), r.GetString(3),
                DateTimeOffset.Parse(r.GetString(4)), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
                JsonSerializer.Deserialize<JsonElement>(r.GetString(7))));
        return list;
    }

    /// <summary>Whether the pipeline's last deployment event is a retirement: nothing of it serves until a person promotes a version.</summary>
    public bool IsRetired(string pipeline) => ServedAt(pipeline, DateTimeOffset.MaxValue) is { Kind: "retired" };

    /// <summary>The deployment event in force at <paramref name="at"/>: the last "deployed" or "retired" entry at or before it.</summary>
    public ModelLogEntry? ServedAt(string pipeline, DateTimeOffset at)
    {
        using var c = Open();
        using var cmd = Command(c, """
            SELECT id, pipeline, version, kind, at, actor, reason, detail FROM model_log
            WHERE pipeline = @p AND kind IN ('deployed', 'retired') AND at <= @t ORDER BY at DESC, id DESC LIMIT 1
            """, ("@p", pipeline), ("@t", at.ToUniversalTime().ToString("O")));
        using var r = cmd.ExecuteReader();
        return r.Read()
            ? new ModelLogEntry(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2), r.GetString(3), DateTimeOffset.Parse(r.GetString(4)),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), JsonSerializer.Deserialize<JsonElement>(r.GetString(7)))
            : null;
    }

    public async Task SetTagsAsync(string pipeline, int version, IReadOnlyDictionary<string, string> tags)
    {
        await _write.WaitAsync();
        try
        {
            var current = Version(pipeline, version) ?? throw new KeyNotFoundException($"'{pipeline}' has no version {version}.");
            var merged = new Dictionary<string, string>(current.Tags ?? new Dictionary<string, string>());
            foreach (var (k, v) in tags) merged[k] = v;
            using var c = Open();
            Exec(c, "UPDATE versions SET tags = @t WHERE pipeline = @p AND version = @v", ("@t", Json(merged)), ("@p", pipeline), ("@v", version));
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
            // Replicas number a pipeline's versions one at a time (PostgreSQL: an advisory lock; SQLite: the write lock its
            // immediate transaction holds), and look again inside the lock, so a run never gets a second version.
            if (_postgres) Exec(c, "SELECT pg_advisory_xact_lock(hashtext(@p))", ("@p", pipeline));
            using (var again = Command(c, "SELECT COUNT(*) FROM versions WHERE run_id = @r", ("@r", runId.ToString("N"))))
            {
                if (Convert.ToInt64(again.ExecuteScalar()) > 0) { tx.Commit(); return VersionOfRun(runId)!; }
            }
            using var next = Command(c, "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE pipeline = @p", ("@p", pipeline));
            var version = Convert.ToInt32(next.ExecuteScalar());
            Exec(c, """
                INSERT INTO versions(pipeline, version, run_id, model_sha256, metrics, approved, reasons, created_at)
                VALUES(@p, @v, @r, @sha, @m, @a, @reasons, @at)
                """,
                ("@p", pipeline), ("@v", version), ("@r", runId.ToString("N")), ("@sha", modelSha256), ("@m", Json(metrics)),
                ("@a", verdict.Approved ? 1 : 0), ("@reasons", Json(verdict.Reasons)), ("@at", _clock.GetUtcNow().ToString("O")));
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
            Exec(c, "UPDATE versions SET approved = 1, reasons = @reasons WHERE pipeline = @p AND version = @v",
                ("@reasons", Json(reasons)), ("@p", pipeline), ("@v", version));
            Exec(c, "INSERT INTO run_events(run_id, kind, at, detail) VALUES(@r, 'GateOverridden', @at, @d)",
                ("@r", v.RunId.ToString("N")), ("@at", now), ("@d", Json(new { pipeline, version, by, reason, overridden = v.Reasons })));
            Exec(c, "UPDATE runs SET status = 'deploying', stage = 'GateOverridden', error = NULL, updated_at = @at WHERE run_id = @r",
                ("@at", now), ("@r", v.RunId.ToString("N")));
            Exec(c, "INSERT INTO model_log(pipeline, version, kind, at, actor, reason, detail) VALUES(@p, @v, 'gate-overridden', @at, @a, @why, @d)",
                ("@p", pipeline), ("@v", version), ("@at", now), ("@a", by), ("@why", reason), ("@d", Json(new { overridden = v.Reasons })));
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
                INSERT INTO aliases(pipeline, alias, version, updated_at) VALUES(@p, @a, @v, @at)
                ON CONFLICT(pipeline, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, ("@p", pipeline), ("@a", alias), ("@v", version), ("@at", _clock.GetUtcNow().ToString("O")));
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Takes an alias off whatever version holds it (a retired pipeline has no champion).</summary>
    public async Task RemoveAliasAsync(string pipeline, string alias)
    {
        await _write.WaitAsync();
        try
        {
            using var c = Open();
            Exec(c, "DELETE FROM aliases WHERE pipeline = @p AND alias = @a", ("@p", pipeline), ("@a", alias));
        }
        finally
        {
            _write.Release();
        }
    }

    public ModelVersion? Champion(string pipeline) =>
        Versions("v.pipeline = @p AND v.version = (SELECT version FROM aliases WHERE pipeline = @p AND alias = 'champion')", ("@p", pipeline)).FirstOrDefault();

    public ModelVersion? VersionOfRun(Guid runId) => Versions("v.run_id = @r", ("@r", runId.ToString("N"))).FirstOrDefault();

    public IReadOnlyList<ModelVersion> VersionsOf(string pipeline) => Versions("v.pipeline = @p", ("@p", pipeline));

    public ModelVersion? Version(string pipeline, int version) =>
        Versions("v.pipeline = @p AND v.version = @v", ("@p", pipeline), ("@v", version)).FirstOrDefault();

    IReadOnlyList<ModelVersion> Versions(string where, params (string, object?)[] args)
    {
        using var c = Open();
        using var cmd = Command(c, $"""
            SELECT v.pipeline, v.version, v.run_id, v.model_sha256, v.metrics, v.approved, v.reasons, v.created_at,
                   (SELECT string_agg(alias, ',') FROM aliases a WHERE a.pipeline = v.pipeline AND a.version = v.version), v.tags
            FROM versions v WHERE {where} ORDER BY v.pipeline, v.version
            """, args);
        using var r = cmd.ExecuteReader();
        var list = new List<ModelVersion>();
        while (r.Read())
        {
            list.Add(new ModelVersion(r.GetString(0), r.GetInt32(1), Guid.Parse(r.GetString(2)), r.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(4), ArtifactStoreJson.Options)!,
                r.GetInt32(5) == 1, JsonSerializer.Deserialize<List<string>>(r.GetString(6), ArtifactStoreJson.Options)!,
                DateTimeOffset.Parse(r.GetString(7)), r.IsDBNull(8) ? [] : r.GetString(8).Split(','),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(9), ArtifactStoreJson.Options)));
        }
        return list;
    }
}
