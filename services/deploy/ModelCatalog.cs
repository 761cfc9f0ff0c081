using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Deploy;

/// <summary>A version that answered its hold-out rows differently from training time: it is never served.</summary>
public sealed class SmokeTestFailedException(string message) : Exception(message);

/// <summary>A model version being served: its scorer (a thread-safe ONNX Runtime session) and where it came from.</summary>
public sealed record DeployedModel(string Pipeline, int Version, Guid RunId, OnnxScorer Scorer, DateTimeOffset DeployedAt)
{
    /// <summary>How this version has served since it was loaded: what a canary is judged by against production.</summary>
    public ServingStats Stats { get; } = new();
}

/// <summary>Requests answered, requests whose scoring failed, and their total latency; updated lock-free by every request.</summary>
public sealed class ServingStats
{
    long _requests, _errors, _microseconds;
    public long Requests => Interlocked.Read(ref _requests);
    public long Errors => Interlocked.Read(ref _errors);
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
    public double MeanLatencyMs => Requests == 0 ? 0 : Interlocked.Read(ref _microseconds) / 1000.0 / Requests;

    public void Record(TimeSpan latency, bool failed)
    {
        Interlocked.Increment(ref _requests);
        if (failed) Interlocked.Increment(ref _errors);
        Interlocked.Add(ref _microseconds, (long)latency.TotalMicroseconds);
    }
}

/// <summary>
/// The canary's verdict once it has answered its minimum of predictions: rolled back when its error rate is higher than
/// production's by more than a point, or (from 100 requests on each side: fewer are mostly a fresh session's first calls)
/// its mean latency more than 1.5× production's plus a millisecond; promoted otherwise (its accuracy is judged by feedback,
/// which rolls it back through PerformanceDropped at any time).
/// </summary>
public static class CanaryVerdict
{
    public static (bool Promote, string Reason) Judge(ServingStats canary, ServingStats production)
    {
        if (canary.ErrorRate > production.ErrorRate + 0.01)
            return (false, $"error rate {canary.ErrorRate:P2} against production's {production.ErrorRate:P2}");
        const int latencySample = 100;
        if (canary.Requests >= latencySample && production.Requests >= latencySample && canary.MeanLatencyMs > production.MeanLatencyMs * 1.5 + 1)
            return (false, $"mean latency {canary.MeanLatencyMs:0.###} ms against production's {production.MeanLatencyMs:0.###} ms");
        return (true, $"error rate {canary.ErrorRate:P2} (production {production.ErrorRate:P2}), mean latency {canary.MeanLatencyMs:0.###} ms (production {production.MeanLatencyMs:0.###} ms)");
    }
}

/// <summary>
/// Which version serves each pipeline. A swap replaces the reference atomically: a request holds the model it started
/// with, so no request fails or is answered by a mix of versions; the old session is disposed after a grace period.
/// </summary>
public sealed class ModelCatalog(IArtifactStore store, TimeProvider clock, ILogger<ModelCatalog> logger, Microsoft.Extensions.Options.IOptions<DeployOptions> options)
{
    readonly ConcurrentDictionary<string, DeployedModel> _serving = new(StringComparer.Ordinal);

    public DeployedModel? Get(string pipeline) => _serving.GetValueOrDefault(pipeline);

    public IReadOnlyCollection<DeployedModel> All => _serving.Values.ToList();

    readonly ConcurrentDictionary<string, Retirement> _retired = new(StringComparer.Ordinal);

    /// <summary>Set while a pipeline is retired: approvals do not bring it back, a person's promotion does.</summary>
    public Retirement? RetiredOf(string pipeline) => _retired.GetValueOrDefault(pipeline);

    /// <summary>On start: what the store says was retired stays retired.</summary>
    public void RestoreRetired(string pipeline, Retirement retirement) => _retired[pipeline] = retirement;

    /// <summary>
    /// Stops serving the pipeline: production, canary and shadow leave the catalog at once (no request is routed to them from
    /// the return on; those already running finish), their sessions are disposed after the grace period, and the retirement
    /// is stored so a restarted deploy keeps it. Repeated for an already retired pipeline, it returns the same retirement.
    /// </summary>
    public async Task<Retirement?> RetireAsync(string pipeline, string reason, string by, CancellationToken ct)
    {
        if (!_serving.TryRemove(pipeline, out var model)) return RetiredOf(pipeline);
        if (_canaries.TryRemove(pipeline, out var canary)) DisposeLater(canary.Model);
        if (_shadows.TryRemove(pipeline, out var shadow)) DisposeLater(shadow.Model);
        DisposeLater(model);
        var retirement = new Retirement(model.Version, model.RunId, clock.GetUtcNow(), by, reason);
        _retired[pipeline] = retirement;
        await SaveAsync(model, ct, retirement);
        logger.LogWarning("{Pipeline} retired by {By}: v{Version} unloaded ({Reason})", pipeline, by, model.Version, reason);
        return retirement;
    }

    readonly ConcurrentDictionary<string, int> _rolledBack = new(StringComparer.Ordinal);

    /// <summary>The newest version of the pipeline that was rolled back (a canary, or production by a person's older pick): approvals of it or older change nothing.</summary>
    public int? RolledBack(string pipeline) => _rolledBack.TryGetValue(pipeline, out var v) ? v : null;

    public void NoteRolledBack(string pipeline, int version) => _rolledBack.AddOrUpdate(pipeline, version, (_, old) => Math.Max(old, version));

    public async Task<DeployedModel> DeployAsync(string pipeline, int version, Guid runId, CancellationToken ct)
    {
        if (Get(pipeline) is { } current && current.Version == version) return current;
        var model = await LoadAsync(pipeline, version, runId, ct);
        Serve(model);
        _retired.TryRemove(pipeline, out _);
        await SaveAsync(model, ct);
        return model;
    }

    /// <summary>
    /// What serves the pipeline (or last served it, with its <paramref name="retired"/>ment), what was rolled back, and a canary
    /// or shadow beside it, as a restarted deploy must find them.
    /// </summary>
    async Task SaveAsync(DeployedModel model, CancellationToken ct, Retirement? retired = null)
    {
        var progress = RolloutProgress(model.Pipeline);
        await store.PutJsonAsync(ArtifactKeys.Deployment(model.Pipeline),
            new DeploymentRecord(model.Pipeline, model.Version, model.RunId, model.DeployedAt, retired, RolledBack(model.Pipeline), PendingOf(model.Pipeline)), ct);
        _recordedProgress[model.Pipeline] = progress;
    }

    /// <summary>How far a pipeline's canary or shadow has got (predictions answered, rows compared or failed), and how far its record says.</summary>
    long RolloutProgress(string pipeline) =>
        (_canaries.GetValueOrDefault(pipeline)?.Served ?? 0) + (_shadows.GetValueOrDefault(pipeline) is { } s ? s.Compared + s.Failed : 0);

    readonly ConcurrentDictionary<string, long> _recordedProgress = new(StringComparer.Ordinal);

    /// <summary>Records the pipeline's production model again after what stands beside it changed (a canary or shadow started or rolled back).</summary>
    async Task SaveServingAsync(string pipeline, CancellationToken ct)
    {
        if (Get(pipeline) is { } production) await SaveAsync(production, ct);
    }

    PendingRollout? PendingOf(string pipeline) =>
        _canaries.GetValueOrDefault(pipeline) is { } canary
            ? new PendingRollout("canary", canary.Model.Version, canary.Model.RunId,
                new RolloutSpec { CanaryShare = canary.Share, MinPredictions = canary.MinPredictions, MinDuration = canary.MinDuration },
                canary.Started, canary.Served)
        : _shadows.GetValueOrDefault(pipeline) is { } shadow
            ? new PendingRollout("shadow", shadow.Model.Version, shadow.Model.RunId, new RolloutSpec { Shadow = true },
                Compared: shadow.Compared, Agreed: shadow.Agreed, Failed: shadow.Failed)
        : null;

    /// <summary>Starts again, after a restart, the canary or shadow the record names.</summary>
    public async Task RestoreRolloutAsync(string pipeline, PendingRollout rollout, CancellationToken ct)
    {
        if (rollout.Kind == "shadow") await StartShadowAsync(pipeline, rollout.Version, rollout.RunId, ct, (rollout.Compared, rollout.Agreed, rollout.Failed));
        else await StartCanaryAsync(pipeline, rollout.Version, rollout.RunId, rollout.Spec, ct, rollout.Started, rollout.Served);
    }

    /// <summary>Records each pipeline whose canary or shadow counts moved since its record was written, so a restart goes on from there.</summary>
    public async Task CheckpointRolloutsAsync(CancellationToken ct)
    {
        foreach (var pipeline in _canaries.Keys.Union(_shadows.Keys).ToList())
            if (RolloutProgress(pipeline) != _recordedProgress.GetValueOrDefault(pipeline))
                await SaveServingAsync(pipeline, ct);
    }

    async Task<DeployedModel> LoadAsync(string pipeline, int version, Guid runId, CancellationToken ct)
    {
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        var scorer = new OnnxScorer(await store.ReadAllBytesAsync(ArtifactKeys.Onnx(runId), ct), card, options.Value.ScoringThreadsPerRequest);
        WarmUp(scorer);
        await SmokeTestAsync(scorer, runId, ct);
        return new DeployedModel(pipeline, version, runId, scorer, clock.GetUtcNow());
    }

    /// <summary>
    /// Staging: before a version takes any traffic it scores (up to 200 of) its hold-out rows and must give the answers ML.NET
    /// gave at training time (holdout-predictions.csv); otherwise it is not served and <see cref="SmokeTestFailedException"/> says why.
    /// </summary>
    async Task SmokeTestAsync(OnnxScorer scorer, Guid runId, CancellationToken ct)
    {
        if (!await store.ExistsAsync(ArtifactKeys.Holdout(runId), ct) || !await store.ExistsAsync(ArtifactKeys.HoldoutPredictions(runId), ct)) return;
        LabelledRows rows;
        await using (var csv = await store.OpenReadAsync(ArtifactKeys.Holdout(runId), ct))
            rows = CsvRows.Read(csv, scorer.Card, withTarget: false);
        // Read with Sep, as train wrote it: a label with a comma or a quote is an escaped field, not two.
        var expected = new List<string>();
        await using (var csv = await store.OpenReadAsync(ArtifactKeys.HoldoutPredictions(runId), ct))
        using (var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(csv))
            foreach (var row in reader) expected.Add(row[0].ToString());
        var n = Math.Min(200, Math.Min(rows.Inputs.Rows, expected.Count));
        var inputs = rows.Inputs;
        var f = scorer.Card.Features.Count; var c = scorer.Card.Categorical.Count; var h = scorer.Card.HashedText.Count;
        var sample = new ModelInputs(n, inputs.Numeric[..(n * f)], inputs.Categorical[..(n * c)], inputs.Hashed[..(n * h)]);
        var answers = scorer.Score(sample);
        for (var i = 0; i < n; i++)
        {
            var same = scorer.Card.Task == ModelTask.Regression
                ? Math.Abs(answers[i].Value!.Value - double.Parse(expected[i], System.Globalization.CultureInfo.InvariantCulture)) <= 1e-5 * Math.Max(1, Math.Abs(answers[i].Value!.Value))
                : answers[i].Label == expected[i];
            if (!same)
                throw new SmokeTestFailedException($"Staging smoke test of run {runId:N} failed: hold-out row {i} is '{answers[i].Label}' here but was '{expected[i]}' at training time.");
        }
    }

    void Serve(DeployedModel model)
    {
        if (_shadows.TryGetValue(model.Pipeline, out var shadow) && shadow.Model.Version <= model.Version && _shadows.TryRemove(model.Pipeline, out _))
            DisposeLater(shadow.Model);
        DeployedModel? previous = null;
        _serving.AddOrUpdate(model.Pipeline, model, (_, old) => { previous = old; return model; });
        logger.LogInformation("Serving {Pipeline} v{Version} (run {RunId}) on {Provider}", model.Pipeline, model.Version, model.RunId, model.Scorer.ExecutionProvider);
        if (previous is not null && previous.Scorer != model.Scorer) DisposeLater(previous);
    }

    /// <summary>A replaced session is disposed after a grace period, so requests that took it finish first.</summary>
    static void DisposeLater(DeployedModel model) =>
        _ = Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => model.Scorer.Dispose(), TaskScheduler.Default);

    /// <summary>A canary: a newer version answering a share of requests beside production, and how many it has answered.</summary>
    public sealed class Canary(DeployedModel model, double share, int minPredictions, TimeSpan? minDuration, DateTimeOffset started, long served = 0)
    {
        public DeployedModel Model { get; } = model;
        public double Share { get; } = share;
        public int MinPredictions { get; } = minPredictions;
        public TimeSpan? MinDuration { get; } = minDuration;
        public DateTimeOffset Started { get; } = started;

        /// <summary>Ready for a verdict: enough predictions, or (with a duration) long enough and at least one prediction.</summary>
        public bool Due(DateTimeOffset now) => Served >= MinPredictions || MinDuration is { } d && now - Started >= d && Served > 0;
        long _served = served;
        public long Served => Interlocked.Read(ref _served);
        public void Count(int rows) => Interlocked.Add(ref _served, rows);

        /// <summary>When <see cref="MinDuration"/> has passed since <see cref="Started"/>, if it is set.</summary>
        public DateTimeOffset? DurationDoneAt => MinDuration is { } d ? Started + d : null;
    }

    readonly ConcurrentDictionary<string, Canary> _canaries = new(StringComparer.Ordinal);

    /// <summary>A shadow: a version scoring copies of production's requests, and how often it agreed with production.</summary>
    public sealed class Shadow(DeployedModel model, (long Compared, long Agreed, long Failed) counted = default)
    {
        public DeployedModel Model { get; } = model;
        long _compared = counted.Compared, _agreed = counted.Agreed, _failed = counted.Failed;

        public long Compared => Interlocked.Read(ref _compared);
        public long Agreed => Interlocked.Read(ref _agreed);
        public long Failed => Interlocked.Read(ref _failed);
        public void Record(int compared, int agreed) { Interlocked.Add(ref _compared, compared); Interlocked.Add(ref _agreed, agreed); }
        public void Fail() => Interlocked.Increment(ref _failed);
    }

    readonly ConcurrentDictionary<string, Shadow> _shadows = new(StringComparer.Ordinal);

    public Shadow? ShadowOf(string pipeline) => _shadows.GetValueOrDefault(pipeline);

    /// <summary>Starts a shadow (or, given its <paramref name="counted"/> rows, resumes one after a restart).</summary>
    public async Task<Shadow> StartShadowAsync(string pipeline, int version, Guid runId, CancellationToken ct, (long, long, long) counted = default)
    {
        if (_shadows.GetValueOrDefault(pipeline) is { } running && running.Model.Version == version) return running;
        var shadow = new Shadow(await LoadAsync(pipeline, version, runId, ct), counted);
        if (_shadows.TryGetValue(pipeline, out var replaced)) DisposeLater(replaced.Model);
        _shadows[pipeline] = shadow;
        logger.LogInformation("Shadow {Pipeline} v{Version} scores a copy of every request; its answers are compared, never returned", pipeline, version);
        await SaveServingAsync(pipeline, ct);
        return shadow;
    }

    public Canary? CanaryOf(string pipeline) => _canaries.GetValueOrDefault(pipeline);
    public IReadOnlyCollection<Canary> Canaries => _canaries.Values.ToList();

    /// <summary>Which model answers this request: the canary for its share of keys (or of requests without a key), else production.</summary>
    public DeployedModel? Route(string pipeline, string? key)
    {
        var production = Get(pipeline);
        if (production is null || _canaries.GetValueOrDefault(pipeline) is not { } canary) return production;
        var pick = key is null ? Random.Shared.NextDouble()
            : BitConverter.ToUInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)), 0) / (double)uint.MaxValue;
        return pick < canary.Share ? canary.Model : production;
    }

    /// <summary>Starts a canary (or, given <paramref name="started"/> and <paramref name="served"/>, resumes one after a restart).</summary>
    public async Task<Canary> StartCanaryAsync(string pipeline, int version, Guid runId, RolloutSpec rollout, CancellationToken ct,
        DateTimeOffset? started = null, long served = 0)
    {
        if (_canaries.GetValueOrDefault(pipeline) is { } running && running.Model.Version == version) return running;
        var model = await LoadAsync(pipeline, version, runId, ct);
        var canary = new Canary(model, rollout.CanaryShare, rollout.MinPredictions, rollout.MinDuration, started ?? clock.GetUtcNow(), served);
        if (_canaries.TryGetValue(pipeline, out var replaced)) DisposeLater(replaced.Model);
        _canaries[pipeline] = canary;
        logger.LogInformation("Canary {Pipeline} v{Version} answers {Share:P0} of requests until {Min} predictions", pipeline, version, rollout.CanaryShare, rollout.MinPredictions);
        await SaveServingAsync(pipeline, ct);
        return canary;
    }

    /// <summary>The canary becomes production (atomically: a request holds the model it started with).</summary>
    public async Task<DeployedModel?> PromoteAsync(string pipeline, CancellationToken ct)
    {
        if (!_canaries.TryRemove(pipeline, out var canary)) return null;
        var model = canary.Model with { DeployedAt = clock.GetUtcNow() };
        Serve(model);
        await SaveAsync(model, ct);
        return model;
    }

    /// <summary>
    /// Takes the canary of this run out of serving (from the moment it is removed, no request is routed to it), and records
    /// that it was rolled back, so neither a restart nor a redelivered approval brings it back.
    /// </summary>
    public async Task<DeployedModel?> RollBackAsync(string pipeline, Guid runId, CancellationToken ct)
    {
        if (!_canaries.TryGetValue(pipeline, out var canary) || canary.Model.RunId != runId || !_canaries.TryRemove(pipeline, out _)) return null;
        DisposeLater(canary.Model);
        NoteRolledBack(pipeline, canary.Model.Version);
        logger.LogWarning("Canary {Pipeline} v{Version} rolled back", pipeline, canary.Model.Version);
        await SaveServingAsync(pipeline, ct);
        return canary.Model;
    }

    /// <summary>First calls into a fresh session are several times slower; pay that before the model takes traffic.</summary>
    static void WarmUp(OnnxScorer scorer)
    {
        var card = scorer.Card;
        var row = new ModelInputs(1, new float[card.Features.Count], [.. card.Categorical.Select(_ => "")], [.. card.HashedText.Select(_ => "")]);
        for (var i = 0; i < 200; i++) scorer.Score(row);
    }
}

public sealed class ExecutionProviderHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"ONNX Runtime on {ExecutionProvider.Name} ({ExecutionProvider.Reason})",
            new Dictionary<string, object> { ["executionProvider"] = ExecutionProvider.Name }));
}

/// <summary>On start, serves again what the store says was serving, and reports the execution provider chosen.</summary>
public sealed class DeploymentRestorer(ModelCatalog catalog, IArtifactStore store, ILogger<DeploymentRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        ExecutionProvider.Report(logger);
        foreach (var key in await store.ListAsync(ArtifactKeys.Deployments, ct))
        {
            try
            {
                var record = await store.GetJsonAsync<DeploymentRecord>(key, ct);
                if (record.RolledBack is int rolledBack) catalog.NoteRolledBack(record.Pipeline, rolledBack);
                if (record.Retired is { } retired) catalog.RestoreRetired(record.Pipeline, retired);
                else
                {
                    await catalog.DeployAsync(record.Pipeline, record.Version, record.RunId, ct);
                    if (record.Rollout is { } rollout) await catalog.RestoreRolloutAsync(record.Pipeline, rollout, ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not restore the deployment in {Key}", key);
            }
        }
    }
}
