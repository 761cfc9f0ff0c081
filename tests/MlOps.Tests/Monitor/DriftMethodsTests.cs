using Microsoft.Extensions.Logging.Abstractions;
using MlOps.Monitor;

namespace MlOps.Tests;

/// <summary>
/// docs/monitoring.md's choice of drift method, threshold and correction, shown on monitor's own DriftMonitor over a real
/// store: which method a feature gets for a small and a large reference, that each statistic in the report is the one its
/// method computes on the stored sample and the window, how the p-values are corrected together, and that overrides
/// (for the pipeline, for one feature) change only what they name.
/// </summary>
public class DriftMethodsTests
{
    const int Features = 6;
    static readonly string[] Colours = ["red", "green", "blue"];

    /// <summary>A run's spec and training profile in a fresh store; features f0…f5 standard normal, and a categorical colour.</summary>
    static async Task<(DriftMonitor Monitor, Guid Run, double[][] Reference)> WatchAsync(int referenceRows, DriftSpec drift)
    {
        var store = new FileSystemArtifactStore(TestInfra.TempDirectory());
        var run = Guid.NewGuid();
        var random = new Random(7);
        var reference = Enumerable.Range(0, Features).Select(_ => Enumerable.Range(0, Math.Min(referenceRows, 5000)).Select(_ => Normal(random)).ToArray()).ToArray();
        var features = reference.Select((sample, i) => new FeatureProfile($"f{i}", referenceRows, sample.Min(), sample.Max(), sample.Average(), 1, sample))
            .Append(new FeatureProfile("colour", referenceRows, 0, 0, 0, 0, [], new Dictionary<string, long> { ["red"] = 500, ["green"] = 300, ["blue"] = 200 }))
            .ToList();
        await store.PutJsonAsync(ArtifactKeys.Spec(run), new PipelineSpec { Target = "y", Drift = drift }, CancellationToken.None);
        await store.PutJsonAsync(ArtifactKeys.Profile(run), new ReferenceProfile(run, referenceRows, "y", new Dictionary<string, long> { ["0"] = 1, ["1"] = 1 }, features), CancellationToken.None);
        var watches = new Watches(store, TimeProvider.System, NullLogger<Watches>.Instance);
        return (new DriftMonitor(watches, store, TimeProvider.System, NullLogger<DriftMonitor>.Instance), run, reference);
    }

    static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>Serves one window: <paramref name="rows"/> rows, feature i shifted by shifts[i], colours drawn with the given weights.</summary>
    static async Task<DriftReport> ServeAsync(DriftMonitor monitor, Guid run, int rows, double[] shifts, double[] colourWeights, int seed = 11)
    {
        var random = new Random(seed);
        var predictions = Enumerable.Range(0, rows).Select(i =>
        {
            var values = Enumerable.Range(0, Features).Select(f => (float)(Normal(random) + shifts[f])).ToArray();
            var u = random.NextDouble() * colourWeights.Sum();
            var colour = u < colourWeights[0] ? 0 : u < colourWeights[0] + colourWeights[1] ? 1 : 2;
            return new ServedPrediction($"p{i}", values, "1", DateTimeOffset.UtcNow, [Colours[colour]]);
        }).ToList();
        var names = Enumerable.Range(0, Features).Select(i => $"f{i}").ToList();
        var outcome = await monitor.ObserveAsync(new PredictionsServed(run, "drifting", 1, names, predictions, ["colour"]), CancellationToken.None);
        return Assert.IsType<DriftOutcome>(outcome).Report;
    }

    static double[] Sorted(IEnumerable<double> values) { var a = values.ToArray(); Array.Sort(a); return a; }

    [Fact]
    public async Task ALargeReferenceIsComparedByWassersteinAndJensenShannonASmallOneByKsAndChiSquared()
    {
        double[] shifts = [0.6, 0, 0, 0, 0, 0];
        double[] colours = [0.2, 0.3, 0.5]; // trained on 0.5 / 0.3 / 0.2
        foreach (var (rows, numeric, categorical) in new[] { (5000, "wasserstein", "jensenShannon"), (800, "ks", "chiSquared") })
        {
            var (monitor, run, reference) = await WatchAsync(rows, new DriftSpec { DriftedShare = 0.2 });
            var report = await ServeAsync(monitor, run, 1000, shifts, colours);
            Assert.Equal(rows, report.ReferenceRows);
            Assert.Equal([.. Enumerable.Repeat(numeric, Features), categorical], report.Features.Select(f => f.Test));

            // The reported statistic is the method's own, on the stored sample and the window (re-drawn here with the same seed).
            var random = new Random(11);
            var window = Enumerable.Range(0, 1000).Select(_ =>
            {
                var v = Enumerable.Range(0, Features).Select(f => (double)(float)(Normal(random) + shifts[f])).ToArray();
                random.NextDouble();
                return v;
            }).ToList();
            var current = Sorted(window.Select(v => v[0]));
            var sample = Sorted(reference[0]);
            var expected = numeric == "wasserstein"
                ? DriftStatistics.Wasserstein(sample, current) / DriftStatistics.StandardDeviation(sample)
                : DriftStatistics.KsStatistic(sample, current);
            Assert.Equal(Math.Round(expected, 6), report.Features[0].Statistic);
            Assert.True(report.Features[0].Drifted, $"{numeric}: f0 moved 0.6 standard deviations");
            Assert.All(report.Features.Skip(1).Take(Features - 1), f => Assert.False(f.Drifted, $"{numeric}: {f.Feature} did not move ({f.Statistic})"));
            Assert.True(report.Features[^1].Drifted, $"{categorical}: the colour mix turned around ({report.Features[^1].Statistic})");
            Assert.Equal(numeric == "ks" ? 0.05 : 0.1, report.Features[0].Threshold);
            Assert.True(report.DatasetDrift);
        }
    }

    [Fact]
    public async Task PValuesAreCorrectedTogetherByTheChosenCorrection()
    {
        // f0 moved just enough for a p-value between 0.05/7 and 0.05: significant alone, not after Bonferroni over seven tests.
        double[] colours = [0.5, 0.3, 0.2];
        async Task<DriftReport> Check(string correction, double shift)
        {
            var (monitor, run, _) = await WatchAsync(800, new DriftSpec { Correction = correction });
            return await ServeAsync(monitor, run, 400, [shift, 0, 0, 0, 0, 0], colours);
        }
        var shift = 0.1;
        while ((await Check("none", shift)).Features[0].PValue is var first && first > 0.02) shift += 0.01;
        var flagged = new Dictionary<string, bool>();
        foreach (var correction in DriftSpec.Corrections)
        {
            var report = await Check(correction, shift);
            var p = report.Features.Select(f => f.PValue!.Value).ToList();
            Assert.Equal(Features + 1, p.Count); // every feature tested, the categorical one included
            Assert.InRange(p[0], 0.05 / p.Count, 0.05); // the case that tells the corrections apart
            var expected = correction switch
            {
                "none" => p.Select(x => x < 0.05).ToArray(),
                "bonferroni" => p.Select(x => x < 0.05 / p.Count).ToArray(),
                _ => DriftStatistics.BenjaminiHochberg(p, 0.05),
            };
            Assert.Equal(expected, report.Features.Select(f => f.Drifted));
            flagged[correction] = report.Features[0].Drifted;
        }
        Assert.True(flagged["none"]);
        Assert.False(flagged["bonferroni"]);
    }

    [Fact]
    public async Task OverridesChangeOnlyWhatTheyName()
    {
        var drift = new DriftSpec
        {
            Method = "psi", Threshold = 0.25, Correction = "none",
            Features = new() { ["f1"] = new FeatureDriftSpec { Method = "ks" }, ["f2"] = new FeatureDriftSpec { Threshold = 5 } },
        };
        var (monitor, run, _) = await WatchAsync(800, drift);
        var report = await ServeAsync(monitor, run, 400, [0, 0.4, 1, 0, 0, 0], [0.5, 0.3, 0.2]);
        var byName = report.Features.ToDictionary(f => f.Feature);
        Assert.Equal(("psi", 0.25), (byName["f0"].Test, byName["f0"].Threshold));              // the pipeline's method and threshold
        Assert.Equal(("ks", 0.05), (byName["f1"].Test, byName["f1"].Threshold));               // its own method, ks's p-value bound
        Assert.True(byName["f1"].Drifted, $"p {byName["f1"].PValue}");                           // correction none still applies to it
        Assert.Equal(("psi", 5.0), (byName["f2"].Test, byName["f2"].Threshold));               // its own threshold, the pipeline's method
        Assert.True(byName["f2"].Statistic > 0.25, $"PSI {byName["f2"].Statistic}");
        Assert.False(byName["f2"].Drifted);                                                      // moved 1 σ, but under its own bound
    }
}
