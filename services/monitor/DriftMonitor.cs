using System.Collections.Concurrent;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

public record DriftReport(Guid RunId, string Pipeline, int Version, DateTimeOffset At, int ReferenceRows, int CurrentRows,
    double DriftedShare, double ShareThreshold, bool DatasetDrift, IReadOnlyList<FeatureDrift> Features, IReadOnlyList<FeatureHistogram>? Histograms = null);

/// <summary>Reference and current shares of one feature in ten equal-width bins over their joint range (what the report draws).</summary>
public record FeatureHistogram(string Feature, double[] Edges, double[] Reference, double[] Current);

/// <summary>What monitor decided about one window of live rows.</summary>
public record DriftOutcome(DriftReport Report, bool RetrainNow, string Why);

public record WatchStatus(string Pipeline, Guid RunId, int Version, int WindowRows, int MinSamples, DateTimeOffset? LastRetrainAt, DriftReport? LastReport,
    ScheduledCheck? LastScheduledCheck, DateTimeOffset ServingSince, DateTimeOffset ScheduledThrough);

/// <summary>
/// What a restarted monitor must not forget about a pipeline's served model (<c>pipelines/{p}/monitor.json</c>): since when it
/// serves (its age), how far its schedule has been checked (so an occurrence due while monitor was down is still acted on,
/// and none twice), whether its age already asked for a retrain, the drift cooldown's start and the last drift report (what
/// a hybrid schedule decides on). The drift window of live rows in progress is not kept: a restart starts a fresh one.
/// </summary>
public record MonitorState(Guid RunId, int Version, DateTimeOffset Since, DateTimeOffset ScheduledThrough, bool AgeRetrainRequested,
    DateTimeOffset? LastRetrainAt, ScheduledCheck? LastScheduledCheck, DriftReport? LastReport);

/// <summary>A scheduled occurrence (cron) or age check: when it was due, what it found, and whether it asks for a retrain.</summary>
public record ScheduledCheck(string Pipeline, Guid RunId, int Version, DateTimeOffset DueAt, DateTimeOffset CheckedAt, string Kind, bool Retrain, string Reason);

/// <summary>
/// Watches each pipeline's serving model. Live rows collect in a tumbling window; once it holds the spec's minimum sample,
/// every numeric feature is compared with the training sample by its drift method (<see cref="Check"/>) and the dataset
/// counts as drifted when the drifted share reaches drift.driftedShare. A retrain is requested at most once per
/// drift.cooldown per pipeline, so a drifting stream starts one retrain, not a storm.
/// </summary>
public sealed class DriftMonitor(IArtifactStore store, TimeProvider clock, ILogger<DriftMonitor> logger)
{
    sealed class Watch(Guid runId, int version, PipelineSpec spec, ReferenceProfile profile, DateTimeOffset? lastRetrainAt, DateTimeOffset since)
    {
        /// <summary>When this model began to be watched: the start of its schedule and its age.</summary>
        public DateTimeOffset Since { get; } = since;
        public DateTimeOffset ScheduledThrough { get; set; } = since;
        public bool AgeRetrainRequested { get; set; }
        public ScheduledCheck? LastScheduledCheck { get; set; }
        public Guid RunId { get; } = runId;
        public int Version { get; } = version;
        public PipelineSpec Spec { get; } = spec;
        public ReferenceProfile Profile { get; } = profile;
        public List<float[]> Window { get; } = [];
        /// <summary>The text values of the window's rows, in the order of <see cref="Categorical"/> (empty when not served).</summary>
        public List<string[]> TextWindow { get; } = [];
        public IReadOnlyList<FeatureProfile> Categorical { get; } = profile.Features.Where(f => f.Categories is not null).ToList();
        public DateTimeOffset? LastRetrainAt { get; set; } = lastRetrainAt;
        public DriftReport? LastReport { get; set; }

        public MonitorState State() => new(RunId, Version, Since, ScheduledThrough, AgeRetrainRequested, LastRetrainAt, LastScheduledCheck, LastReport);

        /// <summary>The same model's watch as it was before a restart.</summary>
        public static Watch Restored(MonitorState saved, PipelineSpec spec, ReferenceProfile profile) =>
            new(saved.RunId, saved.Version, spec, profile, saved.LastRetrainAt, saved.Since)
            {
                ScheduledThrough = saved.ScheduledThrough, AgeRetrainRequested = saved.AgeRetrainRequested,
                LastScheduledCheck = saved.LastScheduledCheck, LastReport = saved.LastReport,
            };

        /// <summary>The numeric features (those with a sample), in the order of the window's columns.</summary>
        public IReadOnlyList<FeatureProfile> Numeric { get; } = profile.Features.Where(f => f.Sample.Length > 0).ToList();

        readonly double[]?[] _sorted = new double[]?[profile.Features.Count];

        /// <summary>The training sample of a numeric feature, sorted once and kept.</summary>
        public double[] SortedSample(int i)
        {
            if (_sorted[i] is { } done) return done;
            var sorted = Numeric[i].Sample.Where(double.IsFinite).ToArray();
            Array.Sort(sorted);
            return _sorted[i] = sorted;
        }
    }

    readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    /// <summary>
    /// Watches the model a pipeline serves from <paramref name="servingSince"/> (its deployment; now when not known). A model
    /// watched before a restart is watched as it was (<see cref="MonitorState"/>): its age, schedule position, cooldown and
    /// last report carry on. A new model starts its own schedule and age; the pipeline's drift cooldown carries over.
    /// </summary>
    public async Task WatchAsync(string pipeline, Guid runId, int version, CancellationToken ct, DateTimeOffset? servingSince = null)
    {
        if (_watches.TryGetValue(pipeline, out var current) && current.RunId == runId) return;
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
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

    async Task SaveAsync(string pipeline, Watch watch, CancellationToken ct)
    {
        MonitorState state;
        lock (watch) state = watch.State();
        await store.PutJsonAsync(ArtifactKeys.MonitorState(pipeline), state, ct);
    }

    /// <summary>A retired pipeline is watched no more: no drift windows, schedules or volume triggers until a version serves again.</summary>
    public void Unwatch(string pipeline)
    {
        if (_watches.TryRemove(pipeline, out var watch))
            logger.LogInformation("No longer watching {Pipeline} v{Version}: it was retired", pipeline, watch.Version);
    }

    public WatchStatus? Status(string pipeline) => _watches.TryGetValue(pipeline, out var w)
        ? new WatchStatus(pipeline, w.RunId, w.Version, w.Window.Count, w.Spec.Drift.MinSamples, w.LastRetrainAt, w.LastReport, w.LastScheduledCheck,
            w.Since, w.ScheduledThrough)
        : null;

    /// <summary>
    /// The schedule's work up to <paramref name="now"/>: for each watched model, its cron occurrences that came due (once each,
    /// the latest if several passed) and its age. In mode <c>always</c> a due occurrence asks for a retrain; in mode
    /// <c>hybrid</c> only when the model's last drift report found dataset drift. Nothing changes until the caller has acted
    /// on a check and hands it to <see cref="CompleteAsync"/>: a check whose retrain could not be published comes due again.
    /// </summary>
    public IReadOnlyList<ScheduledCheck> DueChecks(DateTimeOffset now)
    {
        var due = new List<ScheduledCheck>();
        foreach (var (pipeline, w) in _watches)
        {
            lock (w)
            {
                var triggers = w.Spec.Triggers;
                if (triggers.Schedule is { } expression)
                {
                    var cron = Cronos.CronExpression.Parse(expression, Cronos.CronFormat.Standard);
                    var occurrences = cron.GetOccurrences(w.ScheduledThrough.UtcDateTime, now.UtcDateTime, fromInclusive: false, toInclusive: true).ToList();
                    if (occurrences.Count > 0)
                    {
                        var at = new DateTimeOffset(DateTime.SpecifyKind(occurrences[^1], DateTimeKind.Utc));
                        var drifted = w.LastReport is { DatasetDrift: true } r ? r : null;
                        var retrain = triggers.ScheduleMode != "hybrid" || drifted is not null;
                        var reason = triggers.ScheduleMode != "hybrid" ? $"cron '{expression}' was due at {at:O}"
                            : drifted is not null ? $"scheduled check (cron '{expression}', due at {at:O}): the last drift report ({drifted.At:O}) found {drifted.DriftedShare:P0} of features drifted"
                            : $"scheduled check (cron '{expression}', due at {at:O}): {(w.LastReport is null ? "no drift report yet" : "no dataset drift in the last report")}, no retrain";
                        due.Add(new ScheduledCheck(pipeline, w.RunId, w.Version, at, now, triggers.ScheduleMode, retrain, reason));
                    }
                }
                if (triggers.MaxAge is { } age && !w.AgeRetrainRequested && now - w.Since >= age)
                    due.Add(new ScheduledCheck(pipeline, w.RunId, w.Version, w.Since + age, now, MaxAgeCheck, true,
                        $"v{w.Version} has served since {w.Since:O}, longer than triggers.maxAge {age}"));
            }
        }
        return due;
    }

    const string MaxAgeCheck = "maxAge";

    /// <summary>Records a due check as done (the schedule checked through its time, or the age retrain asked for) and keeps it.</summary>
    public async Task CompleteAsync(ScheduledCheck check, CancellationToken ct)
    {
        if (!_watches.TryGetValue(check.Pipeline, out var w) || w.RunId != check.RunId) return; // another model serves by now
        lock (w)
        {
            if (check.Kind == MaxAgeCheck) w.AgeRetrainRequested = true;
            else if (check.CheckedAt > w.ScheduledThrough) w.ScheduledThrough = check.CheckedAt;
            w.LastScheduledCheck = check;
        }
        await SaveAsync(check.Pipeline, w, ct);
    }

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
        var columns = watch.Numeric.Select(f => position.GetValueOrDefault(f.Name, -1)).ToArray();
        if (columns.Any(c => c < 0))
        {
            logger.LogWarning("Served rows of {Pipeline} lack features of the training profile; skipped", served.Pipeline);
            return null;
        }

        var textPosition = (served.TextFeatures ?? []).Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        var textColumns = watch.Categorical.Select(f => textPosition.GetValueOrDefault(f.Name, -1)).ToArray();
        var withText = textColumns.Length > 0 && textColumns.All(c => c >= 0);

        DriftOutcome? outcome = null;
        lock (watch)
        {
            foreach (var p in served.Predictions)
            {
                watch.Window.Add(columns.Select(c => p.Values[c]).ToArray());
                if (withText && p.Texts is { } texts) watch.TextWindow.Add(textColumns.Select(c => texts[c]).ToArray());
            }
            if (watch.Window.Count < watch.Spec.Drift.MinSamples) return null;
            var report = Check(served.Pipeline, watch);
            watch.Window.Clear();
            watch.TextWindow.Clear();
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
        var name = $"{ArtifactKeys.Run(served.RunId)}monitoring/drift-{outcome.Report.At:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}";
        await store.PutJsonAsync(name + ".json", outcome.Report, ct);
        await store.PutTextAsync(name + ".html", DriftReportPage.Render(outcome.Report, outcome.Why), "text/html", ct);
        await SaveAsync(served.Pipeline, watch, ct);
        return outcome;
    }

    /// <summary>
    /// Tests each numeric feature of the window against the training sample with its method (see <see cref="DriftSpec"/>);
    /// the p-values of the tests are corrected together (Benjamini–Hochberg by default) before any feature is called drifted.
    /// </summary>
    DriftReport Check(string pipeline, Watch watch)
    {
        var drift = watch.Spec.Drift;
        var numeric = watch.Numeric;
        var large = watch.Profile.Rows > drift.SmallReference;
        var measured = numeric.Select((feature, i) =>
        {
            var current = watch.Window.Select(r => (double)r[i]).Where(double.IsFinite).ToArray();
            Array.Sort(current);
            var reference = watch.SortedSample(i);
            var own = drift.Features.GetValueOrDefault(feature.Name);
            var method = own?.Method ?? drift.Method;
            if (method == "auto") method = large ? "wasserstein" : "ks";
            var threshold = own?.Threshold ?? (method == "ks" ? drift.PValue : drift.Threshold);
            if (current.Length == 0 || reference.Length == 0)
                return (feature.Name, method, statistic: 0.0, p: (double?)null, threshold, drifted: false, histogram: (FeatureHistogram?)null);
            var (edges, referenceShares, currentShares) = DriftStatistics.Histogram(reference, current);
            var histogram = new FeatureHistogram(feature.Name, edges.Select(e => Math.Round(e, 6)).ToArray(),
                referenceShares.Select(x => Math.Round(x, 6)).ToArray(), currentShares.Select(x => Math.Round(x, 6)).ToArray());
            switch (method)
            {
                case "ks":
                    var d = DriftStatistics.KsStatistic(reference, current);
                    return (feature.Name, method, statistic: d, p: DriftStatistics.KsPValue(d, reference.Length, current.Length), threshold, drifted: false, histogram);
                case "psi":
                    var psi = DriftStatistics.Psi(reference, current);
                    return (feature.Name, method, statistic: psi, p: null, threshold, drifted: psi > threshold, histogram);
                default:
                    var std = DriftStatistics.StandardDeviation(reference);
                    var w = DriftStatistics.Wasserstein(reference, current) / (std > 0 ? std : 1);
                    return (feature.Name, method: "wasserstein", statistic: w, p: null, threshold, drifted: w > threshold, histogram);
            }
        }).ToList();

        // Categorical features: chi-squared on the counts for a small reference, Jensen–Shannon distance for a large one.
        for (var c = 0; c < watch.Categorical.Count && watch.TextWindow.Count > 0; c++)
        {
            var feature = watch.Categorical[c];
            var counts = watch.TextWindow.GroupBy(r => r[c], StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            var own = drift.Features.GetValueOrDefault(feature.Name);
            if (large || own?.Method is "wasserstein" or "psi")
            {
                var js = DriftStatistics.JensenShannon(feature.Categories!, counts);
                var threshold = own?.Threshold ?? drift.Threshold;
                measured.Add((feature.Name, "jensenShannon", js, null, threshold, js > threshold, null));
            }
            else
            {
                var (chi, p) = DriftStatistics.ChiSquare(feature.Categories!, counts);
                measured.Add((feature.Name, "chiSquared", double.IsFinite(chi) ? chi : 1e300, p, own?.Threshold ?? drift.PValue, false, null));
            }
        }

        // Testing many features at once: correct the tests' p-values together, so ten features do not give ten chances of a false alarm.
        var tests = measured.Select((m, i) => (m, i)).Where(x => x.m.p is not null).ToList();
        var significant = drift.Correction switch
        {
            "none" => tests.Select(t => t.m.p!.Value < t.m.threshold).ToArray(),
            "bonferroni" => tests.Select(t => t.m.p!.Value < t.m.threshold / Math.Max(1, tests.Count)).ToArray(),
            _ => DriftStatistics.BenjaminiHochberg(tests.Select(t => t.m.p!.Value).ToList(), drift.PValue),
        };
        for (var k = 0; k < tests.Count; k++) measured[tests[k].i] = measured[tests[k].i] with { drifted = significant[k] };

        var results = measured.Select(m => new FeatureDrift(m.Name, m.method, Math.Round(m.statistic, 6), m.p, m.threshold, m.drifted)).ToList();
        var share = results.Count == 0 ? 0 : (double)results.Count(r => r.Drifted) / results.Count;
        return new DriftReport(watch.RunId, pipeline, watch.Version, clock.GetUtcNow(), numeric.FirstOrDefault()?.Sample.Length ?? 0, watch.Window.Count,
            Math.Round(share, 4), drift.DriftedShare, share >= drift.DriftedShare, results,
            measured.Where(m => m.histogram is not null).Select(m => m.histogram!).ToList());
    }
}
