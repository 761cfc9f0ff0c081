using System.Collections.Concurrent;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

public record DriftReport(Guid RunId, string Pipeline, int Version, DateTimeOffset At, int ReferenceRows, int CurrentRows,
    double DriftedShare, double ShareThreshold, bool DatasetDrift, IReadOnlyList<FeatureDrift> Features);

/// <summary>What monitor decided about one window of live rows.</summary>
public record DriftOutcome(DriftReport Report, bool RetrainNow, string Why);

public record WatchStatus(string Pipeline, Guid RunId, int Version, int WindowRows, int MinSamples, DateTimeOffset? LastRetrainAt, DriftReport? LastReport);

/// <summary>
/// Watches each pipeline's serving model. Live rows collect in a tumbling window; once it holds the spec's minimum sample,
/// every numeric feature is tested against the training sample (two-sample KS, drifted when p &lt; drift.pValue) and the
/// dataset counts as drifted when the drifted share reaches drift.driftedShare. A retrain is requested at most once per
/// drift.cooldown per pipeline, so a drifting stream starts one retrain, not a storm.
/// </summary>
public sealed class DriftMonitor(IArtifactStore store, TimeProvider clock, ILogger<DriftMonitor> logger)
{
    sealed class Watch(Guid runId, int version, PipelineSpec spec, ReferenceProfile profile, DateTimeOffset? lastRetrainAt)
    {
        public Guid RunId { get; } = runId;
        public int Version { get; } = version;
        public PipelineSpec Spec { get; } = spec;
        public ReferenceProfile Profile { get; } = profile;
        public List<float[]> Window { get; } = [];
        public DateTimeOffset? LastRetrainAt { get; set; } = lastRetrainAt;
        public DriftReport? LastReport { get; set; }
    }

    readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    public async Task WatchAsync(string pipeline, Guid runId, int version, CancellationToken ct)
    {
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
        var profile = await store.GetJsonAsync<ReferenceProfile>(ArtifactKeys.Profile(runId), ct);
        _watches.AddOrUpdate(pipeline,
            _ => new Watch(runId, version, spec, profile, null),
            (_, old) => old.RunId == runId ? old : new Watch(runId, version, spec, profile, old.LastRetrainAt));
        logger.LogInformation("Watching {Pipeline} v{Version} (run {RunId}) against {Rows} training rows", pipeline, version, runId, profile.Rows);
    }

    public WatchStatus? Status(string pipeline) => _watches.TryGetValue(pipeline, out var w)
        ? new WatchStatus(pipeline, w.RunId, w.Version, w.Window.Count, w.Spec.Drift.MinSamples, w.LastRetrainAt, w.LastReport)
        : null;

    /// <summary>Adds served rows; returns an outcome when they complete a window.</summary>
    public async Task<DriftOutcome?> ObserveAsync(PredictionsServed served, CancellationToken ct)
    {
        if (!_watches.TryGetValue(served.Pipeline, out var watch))
        {
            await WatchAsync(served.Pipeline, served.RunId, served.Version, ct); // e.g. monitor restarted after the deployment
            watch = _watches[served.Pipeline];
        }
        if (watch.RunId != served.RunId) return null; // rows a replaced model served before the swap

        var position = served.Features.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        var columns = watch.Profile.Features.Select(f => position.GetValueOrDefault(f.Name, -1)).ToArray();
        if (columns.Any(c => c < 0))
        {
            logger.LogWarning("Served rows of {Pipeline} lack features of the training profile; skipped", served.Pipeline);
            return null;
        }

        DriftOutcome? outcome = null;
        lock (watch)
        {
            foreach (var p in served.Predictions) watch.Window.Add(columns.Select(c => p.Values[c]).ToArray());
            if (watch.Window.Count < watch.Spec.Drift.MinSamples) return null;
            var report = Check(served.Pipeline, watch);
            watch.Window.Clear();
            watch.LastReport = report;
            var now = clock.GetUtcNow();
            var cooled = watch.LastRetrainAt is null || now - watch.LastRetrainAt >= watch.Spec.Drift.Cooldown;
            var retrain = report.DatasetDrift && watch.Spec.Drift.RetrainOnDrift && cooled;
            if (retrain) watch.LastRetrainAt = now;
            var why = !report.DatasetDrift ? "no dataset drift"
                : !watch.Spec.Drift.RetrainOnDrift ? "drift.retrainOnDrift is off"
                : !cooled ? $"in cooldown until {watch.LastRetrainAt + watch.Spec.Drift.Cooldown:O}"
                : $"{report.Features.Count(f => f.Drifted)} of {report.Features.Count} features drifted";
            outcome = new DriftOutcome(report, retrain, why);
        }
        await store.PutJsonAsync($"{ArtifactKeys.Run(served.RunId)}monitoring/drift-{outcome.Report.At:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}.json", outcome.Report, ct);
        return outcome;
    }

    DriftReport Check(string pipeline, Watch watch)
    {
        var drift = watch.Spec.Drift;
        // Categorical features (no sample) get their own test with issue 7; the index keeps each numeric feature with its served column.
        var results = watch.Profile.Features.Select((feature, i) => (feature, i)).Where(x => x.feature.Sample.Length > 0).Select(x =>
        {
            var (feature, i) = x;
            var current = watch.Window.Select(r => (double)r[i]).ToArray();
            var (statistic, p) = KolmogorovSmirnov.Test(feature.Sample, current);
            return new FeatureDrift(feature.Name, "ks", Math.Round(statistic, 6), p, drift.PValue, p < drift.PValue);
        }).ToList();
        var share = results.Count == 0 ? 0 : (double)results.Count(r => r.Drifted) / results.Count;
        return new DriftReport(watch.RunId, pipeline, watch.Version, clock.GetUtcNow(),
            watch.Profile.Features.FirstOrDefault()?.Sample.Length ?? 0, watch.Window.Count,
            Math.Round(share, 4), drift.DriftedShare, share >= drift.DriftedShare, results);
    }
}
