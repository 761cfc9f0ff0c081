using System.Collections.Concurrent;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// The models monitor watches, one per pipeline, and their persistence: the triggers' state of each
/// (<see cref="MonitorState"/>) and which model each pipeline serves (<see cref="WatchedModel"/>), so a restarted monitor goes
/// on from where it was.
/// </summary>
public sealed class Watches(IArtifactStore store, TimeProvider clock, ILogger<Watches> logger)
{
    readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    public Watch? Get(string pipeline) => _watches.GetValueOrDefault(pipeline);

    public IEnumerable<KeyValuePair<string, Watch>> All => _watches;

    /// <summary>
    /// Watches the model a pipeline serves from <paramref name="servingSince"/> (its deployment; now when not known). A model
    /// watched before a restart is watched as it was (<see cref="MonitorState"/>): its age, schedule position, cooldown and
    /// last report carry on. A new model starts its own schedule and age; the pipeline's drift cooldown carries over.
    /// </summary>
    public Task<Watch> WatchAsync(string pipeline, Guid runId, int version, CancellationToken ct, DateTimeOffset? servingSince = null, PipelineSpec? spec = null) =>
        WatchAsync(pipeline, runId, version, servingSince, record: true, ct, spec);

    /// <summary>Watches again, at start, a model this monitor's own record names (the record is not written back).</summary>
    public Task<Watch> RestoreAsync(WatchedModel watched, CancellationToken ct) =>
        WatchAsync(watched.Pipeline, watched.RunId, watched.Version, watched.ServingSince, record: false, ct);

    async Task<Watch> WatchAsync(string pipeline, Guid runId, int version, DateTimeOffset? servingSince, bool record, CancellationToken ct, PipelineSpec? carried = null)
    {
        if (_watches.TryGetValue(pipeline, out var current) && current.RunId == runId) return current;
        var spec = await store.RunSpecAsync(runId, carried, ct);
        var profile = await store.GetJsonAsync<ReferenceProfile>(ArtifactKeys.Profile(runId), ct);
        var saved = await SavedStateAsync(pipeline, ct);
        var watch = _watches.AddOrUpdate(pipeline,
            _ => saved?.RunId == runId ? Watch.Restored(saved, spec, profile) : new Watch(runId, version, spec, profile, saved?.LastRetrainAt, servingSince ?? clock.GetUtcNow()),
            (_, old) => old.RunId == runId ? old : new Watch(runId, version, spec, profile, old.LastRetrainAt, servingSince ?? clock.GetUtcNow()));
        if (saved?.RunId == runId)
            logger.LogInformation("Watching {Pipeline} v{Version} (run {RunId}) again: serving since {Since:O}, schedule checked through {Through:O}",
                pipeline, version, runId, watch.Since, watch.ScheduledThrough);
        else
        {
            logger.LogInformation("Watching {Pipeline} v{Version} (run {RunId}) against {Rows} training rows", pipeline, version, runId, profile.Rows);
            await SaveAsync(pipeline, watch, ct);
        }
        if (record) await store.PutJsonAsync(ArtifactKeys.MonitorWatch(pipeline), new WatchedModel(pipeline, runId, version, watch.Since), ct);
        return watch;
    }

    /// <summary>A retired pipeline is watched no more: no drift windows, schedules or volume triggers until a version serves again.</summary>
    public async Task UnwatchAsync(string pipeline, CancellationToken ct)
    {
        if (_watches.TryRemove(pipeline, out var watch))
            logger.LogInformation("No longer watching {Pipeline} v{Version}: it was retired", pipeline, watch.Version);
        if (await store.TryGetJsonAsync<WatchedModel>(ArtifactKeys.MonitorWatch(pipeline), ct) is { } watched)
            await store.PutJsonAsync(ArtifactKeys.MonitorWatch(pipeline), watched with { Retired = true }, ct);
    }

    /// <summary>
    /// The pipeline's watch, read back from its record when this replica does not hold it yet (a partition handed over while
    /// its previous owner was still watching a new model: the record was written after the new owner read the partition back).
    /// </summary>
    public async Task<Watch?> EnsureAsync(string pipeline, CancellationToken ct)
    {
        if (Get(pipeline) is { } watch) return watch;
        if (await store.TryGetJsonAsync<WatchedModel>(ArtifactKeys.MonitorWatch(pipeline), ct) is not { Retired: false } watched) return null;
        return await RestoreAsync(watched, ct);
    }

    /// <summary>Drops the watches of these pipelines from this replica's memory (another replica owns them now); returns how many.</summary>
    public int Forget(Func<string, bool> pipelines)
    {
        var forgotten = 0;
        foreach (var pipeline in _watches.Keys.Where(pipelines).ToList())
            if (_watches.TryRemove(pipeline, out _)) forgotten++;
        return forgotten;
    }

    /// <summary>Every pipeline monitor watched before this start (retired ones too, marked so), from its own records.</summary>
    public async Task<IReadOnlyList<WatchedModel>> WatchedBeforeAsync(CancellationToken ct)
    {
        var watched = new List<WatchedModel>();
        foreach (var key in await store.ListAsync(ArtifactKeys.MonitorWatches, ct))
        {
            try
            {
                watched.Add(await store.GetJsonAsync<WatchedModel>(key, ct));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or ArtifactNotFoundException)
            {
                logger.LogError("Could not read {Key}: {Error}", key, e.Message);
            }
        }
        return watched;
    }

    public WatchStatus? Status(string pipeline) => _watches.TryGetValue(pipeline, out var w)
        ? new WatchStatus(pipeline, w.RunId, w.Version, w.Window.Count, w.Spec.Drift.MinSamples, w.LastRetrainAt, w.LastReport, w.LastScheduledCheck,
            w.Since, w.ScheduledThrough, w.ClockCheckedAt, w.DeferredRetrain)
        : null;

    /// <summary>Keeps the watch's triggers' state (<see cref="MonitorState"/>).</summary>
    public async Task SaveAsync(string pipeline, Watch watch, CancellationToken ct)
    {
        MonitorState state;
        lock (watch) state = watch.State();
        await store.PutJsonAsync(ArtifactKeys.MonitorState(pipeline), state, ct);
    }

    /// <summary>The state kept before a restart; an unreadable one is logged and treated as none (the model is watched afresh).</summary>
    async Task<MonitorState?> SavedStateAsync(string pipeline, CancellationToken ct)
    {
        try
        {
            return await store.TryGetJsonAsync<MonitorState>(ArtifactKeys.MonitorState(pipeline), ct);
        }
        catch (System.Text.Json.JsonException e)
        {
            logger.LogWarning("{Key} is unreadable ({Error}); watching {Pipeline} afresh: its age and schedule count from now",
                ArtifactKeys.MonitorState(pipeline), e.Message, pipeline);
            return null;
        }
    }
}
