using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// Drift, and drift only: live rows of each watched model collect in a tumbling window; once it holds the spec's minimum
/// sample, every feature is compared with the training sample by its drift method (<see cref="Check"/>) and the dataset
/// counts as drifted when the drifted share reaches drift.driftedShare. The report is kept under the model's run
/// (<c>monitoring/drift-*.json</c> and a page); whether it starts a retrain is <see cref="DriftTrigger"/>'s decision.
/// </summary>
public sealed class DriftMonitor(Watches watches, IArtifactStore store, TimeProvider clock, ILogger<DriftMonitor> logger, FeedbackBook? feedback = null)
{
    /// <summary>Adds served rows; returns an outcome when they complete a window.</summary>
    public async Task<DriftOutcome?> ObserveAsync(PredictionsServed served, CancellationToken ct)
    {
        var watch = watches.Get(served.Pipeline)
            ?? await watches.WatchAsync(served.Pipeline, served.RunId, served.Version, ct); // e.g. a model deployed before monitor kept its own records
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
            var labelled = feedback?.LabelledFor(watch.RunId) ?? 0;
            var deferredBefore = watch.DeferredRetrain;
            var (retrain, why) = DriftTrigger.Decide(watch, report, clock.GetUtcNow(), labelled);
            outcome = new DriftOutcome(report, retrain, why, deferredBefore is null ? watch.DeferredRetrain : null, labelled);
        }
        var name = $"{ArtifactKeys.Run(served.RunId)}monitoring/drift-{outcome.Report.At:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}";
        await store.PutJsonAsync(name + ".json", outcome.Report, ct);
        await store.PutTextAsync(name + ".html", DriftReportPage.Render(outcome.Report, outcome.Why), "text/html", ct);
        await watches.SaveAsync(served.Pipeline, watch, ct);
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
