using System.Collections.Concurrent;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// Which version serves each pipeline, and every change to it: deploy, canary and shadow start, promotion, rollback and
/// retirement. A swap replaces the reference atomically: a request holds the model it started with, so no request fails or
/// is answered by a mix of versions; the old session is unloaded after a grace period. Each change is written to the
/// deployment record (<see cref="DeploymentStore"/>), which every other replica then serves too (<see cref="ApplyAsync"/>),
/// as does a restarted one.
/// </summary>
public sealed class ServingTable(ModelLoader loader, RolloutBoard rollouts, DeploymentStore records, TimeProvider clock, ILogger<ServingTable> logger)
{
    readonly ConcurrentDictionary<string, DeployedModel> _serving = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Retirement> _retired = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> _rolledBack = new(StringComparer.Ordinal);

    public DeployedModel? Get(string pipeline) => _serving.GetValueOrDefault(pipeline);

    public IReadOnlyCollection<DeployedModel> All => _serving.Values.ToList();

    public RolloutBoard Rollouts => rollouts;

    volatile bool _restored;
    /// <summary>Set once what served before this process started serves again: until then deploy is not ready.</summary>
    public bool Restored => _restored;
    public void MarkRestored() => _restored = true;

    /// <summary>Which model answers this request: production, or the canary for its share (<see cref="RolloutBoard.Route"/>).</summary>
    public DeployedModel? Route(string pipeline, string? key) => Get(pipeline) is { } production ? rollouts.Route(pipeline, production, key) : null;

    /// <summary>
    /// What an answered request counts towards the rollouts: the canary's predictions when the canary answered, and a copy of
    /// the rows for the shadow when production answered a request that was not pinned to a version.
    /// </summary>
    public void Observe(string pipeline, DeployedModel answered, bool pinned, ModelInputs batch, Prediction[] predictions)
    {
        rollouts.CountCanary(pipeline, answered, batch.Rows);
        if (!pinned && rollouts.ShadowOf(pipeline) is { } shadow && Get(pipeline) == answered) rollouts.OfferToShadow(shadow, batch, predictions);
    }

    /// <summary>Set while a pipeline is retired: approvals do not bring it back, a person's promotion does.</summary>
    public Retirement? RetiredOf(string pipeline) => _retired.GetValueOrDefault(pipeline);

    /// <summary>On start: what the store says was retired stays retired.</summary>
    public void RestoreRetired(string pipeline, Retirement retirement) => _retired[pipeline] = retirement;

    /// <summary>The newest version of the pipeline that was rolled back (a canary, or production by a person's older pick): approvals of it or older change nothing.</summary>
    public int? RolledBack(string pipeline) => _rolledBack.TryGetValue(pipeline, out var v) ? v : null;

    public void NoteRolledBack(string pipeline, int version) => _rolledBack.AddOrUpdate(pipeline, version, (_, old) => Math.Max(old, version));

    public async Task<DeployedModel> DeployAsync(string pipeline, int version, Guid runId, CancellationToken ct, ModelCard? card = null)
    {
        if (Get(pipeline) is { } current && current.Version == version)
        {
            // Served already (a redelivery, or a retry after the record could not be written): write the record again.
            await SaveAsync(current, ct);
            return current;
        }
        var model = await loader.LoadAsync(pipeline, version, runId, ct, card);
        Serve(model);
        _retired.TryRemove(pipeline, out _);
        await SaveAsync(model, ct);
        return model;
    }

    /// <summary>
    /// Stops serving the pipeline: production, canary and shadow leave the table at once (no request is routed to them from
    /// the return on; those already running finish), their sessions are unloaded after the grace period, and the retirement
    /// is stored so a restarted deploy keeps it. Repeated for an already retired pipeline, it returns the same retirement.
    /// </summary>
    public async Task<Retirement?> RetireAsync(string pipeline, string reason, string by, CancellationToken ct)
    {
        if (Unload(pipeline) is not { } model) return RetiredOf(pipeline);
        var retirement = new Retirement(model.Version, model.RunId, clock.GetUtcNow(), by, reason);
        _retired[pipeline] = retirement;
        await SaveAsync(model, ct, retirement);
        logger.LogWarning("{Pipeline} retired by {By}: v{Version} unloaded ({Reason})", pipeline, by, model.Version, reason);
        return retirement;
    }

    /// <summary>Takes production, canary and shadow out of the table and unloads them after the grace period; the production model, or null if none served.</summary>
    DeployedModel? Unload(string pipeline)
    {
        if (!_serving.TryRemove(pipeline, out var model)) return null;
        if (rollouts.TryTakeCanary(pipeline, out var canary)) ModelLoader.DisposeLater(canary.Model);
        if (rollouts.TryTakeShadow(pipeline, out var shadow)) ModelLoader.DisposeLater(shadow.Model);
        ModelLoader.DisposeLater(model);
        return model;
    }

    public async Task<Shadow> StartShadowAsync(string pipeline, int version, Guid runId, CancellationToken ct)
    {
        if (rollouts.ShadowOf(pipeline) is { } running && running.Model.Version == version) return running;
        var shadow = await PutShadowAsync(pipeline, version, runId, default, ct);
        logger.LogInformation("Shadow {Pipeline} v{Version} scores a copy of every request; its answers are compared, never returned", pipeline, version);
        await SaveServingAsync(pipeline, ct);
        return shadow;
    }

    public async Task<Canary> StartCanaryAsync(string pipeline, int version, Guid runId, RolloutSpec rollout, CancellationToken ct)
    {
        if (rollouts.CanaryOf(pipeline) is { } running && running.Model.Version == version) return running;
        var canary = await PutCanaryAsync(pipeline, version, runId, rollout, clock.GetUtcNow(), 0, ct);
        logger.LogInformation("Canary {Pipeline} v{Version} answers {Share:P0} of requests until {Min} predictions", pipeline, version, rollout.CanaryShare, rollout.MinPredictions);
        await SaveServingAsync(pipeline, ct);
        return canary;
    }

    /// <summary>Loads a canary and puts it beside production (started and counted so far as given), unloading the one it replaces.</summary>
    async Task<Canary> PutCanaryAsync(string pipeline, int version, Guid runId, RolloutSpec rollout, DateTimeOffset started, long served, CancellationToken ct)
    {
        var canary = new Canary(await loader.LoadAsync(pipeline, version, runId, ct), rollout.CanaryShare, rollout.MinPredictions, rollout.MinDuration,
            started, served, Get(pipeline));
        if (rollouts.Put(pipeline, canary) is { } replaced) ModelLoader.DisposeLater(replaced.Model);
        return canary;
    }

    /// <summary>Loads a shadow and puts it beside production (with the rows counted so far), unloading the one it replaces.</summary>
    async Task<Shadow> PutShadowAsync(string pipeline, int version, Guid runId, (long, long, long) counted, CancellationToken ct)
    {
        var shadow = new Shadow(await loader.LoadAsync(pipeline, version, runId, ct), counted);
        if (rollouts.Put(pipeline, shadow) is { } replaced) ModelLoader.DisposeLater(replaced.Model);
        return shadow;
    }

    readonly SemaphoreSlim _applying = new(1, 1);

    /// <summary>
    /// Serves what a deployment record says, without writing it: at start, when another replica changed it
    /// (<see cref="MlOps.Contracts.DeploymentChanged"/>), and on the periodic catch-up. Production, the canary or shadow beside it
    /// (with the record's counts), the newest version rolled back, the retirement: whatever differs here is loaded or
    /// unloaded; what matches is left alone, so a replica's own change comes back to it as nothing to do.
    /// </summary>
    public async Task ApplyAsync(DeploymentRecord record, CancellationToken ct)
    {
        var pipeline = record.Pipeline;
        await _applying.WaitAsync(ct);
        try
        {
            if (record.RolledBack is int rolledBack) NoteRolledBack(pipeline, rolledBack);
            if (record.Retired is { } retired)
            {
                _retired[pipeline] = retired;
                if (Unload(pipeline) is { } served)
                    logger.LogWarning("{Pipeline} retired (by {By}, heard from the deployment record): v{Version} unloaded", pipeline, retired.By, served.Version);
                return;
            }
            _retired.TryRemove(pipeline, out _);
            if (Get(pipeline) is not { } current || current.Version != record.Version || current.RunId != record.RunId)
                Serve(await loader.LoadAsync(pipeline, record.Version, record.RunId, ct) with { DeployedAt = record.DeployedAt });
            var pending = record.Rollout;
            if (pending is { Kind: "canary" })
            {
                if (rollouts.CanaryOf(pipeline)?.Model.RunId != pending.RunId)
                {
                    var canary = await PutCanaryAsync(pipeline, pending.Version, pending.RunId, pending.Spec, pending.Started ?? clock.GetUtcNow(), pending.Served, ct);
                    logger.LogInformation("Canary {Pipeline} v{Version} answers {Share:P0} of requests (from the deployment record)", pipeline, pending.Version, canary.Share);
                }
            }
            else if (rollouts.TryTakeCanary(pipeline, out var gone)) ModelLoader.DisposeLater(gone.Model); // promoted or rolled back elsewhere
            if (pending is { Kind: "shadow" })
            {
                if (rollouts.ShadowOf(pipeline)?.Model.RunId != pending.RunId)
                    await PutShadowAsync(pipeline, pending.Version, pending.RunId, (pending.Compared, pending.Agreed, pending.Failed), ct);
            }
            else if (rollouts.TryTakeShadow(pipeline, out var goneShadow)) ModelLoader.DisposeLater(goneShadow.Model);
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>The canary becomes production (atomically: a request holds the model it started with).</summary>
    public async Task<DeployedModel?> PromoteAsync(string pipeline, CancellationToken ct)
    {
        if (!rollouts.TryTakeCanary(pipeline, out var canary)) return null;
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
        if (rollouts.TakeCanaryOf(pipeline, runId) is not { } canary) return null;
        ModelLoader.DisposeLater(canary.Model);
        NoteRolledBack(pipeline, canary.Model.Version);
        logger.LogWarning("Canary {Pipeline} v{Version} rolled back", pipeline, canary.Model.Version);
        await SaveServingAsync(pipeline, ct);
        return canary.Model;
    }

    /// <summary>Writes the judge's totals for the pipeline's canary or shadow into its record (a checkpoint a restart or another judge goes on from).</summary>
    public async Task CheckpointAsync(string pipeline, RolloutTotal total, CancellationToken ct)
    {
        if (Get(pipeline) is not { } production) return;
        // Another replica may have promoted (or replaced) the version since this one last heard: its record is newer than
        // this replica's view, and a checkpoint written from that view would put the old production and the canary back.
        if (await records.TryReadAsync(pipeline, ct) is { } stored && stored.Version > production.Version) return;
        var progress = total.Progress;
        await SaveAsync(production, ct, total: total);
        (total.CheckpointedProgress, total.CheckpointedAt) = (progress, clock.GetUtcNow());
    }

    void Serve(DeployedModel model)
    {
        if (rollouts.ShadowOf(model.Pipeline) is { } shadow && shadow.Model.Version <= model.Version && rollouts.TryTakeShadow(model.Pipeline, out _))
            ModelLoader.DisposeLater(shadow.Model);
        DeployedModel? previous = null;
        _serving.AddOrUpdate(model.Pipeline, model, (_, old) => { previous = old; return model; });
        logger.LogInformation("Serving {Pipeline} v{Version} (run {RunId}) on {Provider}", model.Pipeline, model.Version, model.RunId, model.Scorer.ExecutionProvider);
        if (previous is not null && previous.Scorer != model.Scorer) ModelLoader.DisposeLater(previous);
    }

    /// <summary>
    /// What serves the pipeline (or last served it, with its <paramref name="retired"/>ment), what was rolled back, and a canary
    /// or shadow beside it, as a restarted deploy must find them.
    /// </summary>
    async Task SaveAsync(DeployedModel model, CancellationToken ct, Retirement? retired = null, RolloutTotal? total = null) =>
        await records.SaveAsync(new DeploymentRecord(model.Pipeline, model.Version, model.RunId, model.DeployedAt, retired, RolledBack(model.Pipeline),
            rollouts.PendingOf(model.Pipeline, total)), ct);

    /// <summary>Records the pipeline's production model again after what stands beside it changed (a canary or shadow started or rolled back).</summary>
    async Task SaveServingAsync(string pipeline, CancellationToken ct)
    {
        if (Get(pipeline) is { } production) await SaveAsync(production, ct);
    }
}
