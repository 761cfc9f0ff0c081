using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MlOps.Contracts;
using MlOps.Monitor;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Bench.Drift;

/// <summary>
/// The drift benchmark's .NET side: `run DIR SCIPY_JSON [REPEATS]` reads the same ref.bin/cur.bin as scipy, computes KS
/// (statistic and asymptotic p), Wasserstein and PSI for every feature (features in parallel, one sort per sample), times
/// the whole report REPEATS times, and prints one JSON line with the times and the largest differences from scipy's values.
/// `report DIR REFERENCE WINDOW REPEATS SCIPY_JSON` builds the report as the monitor service does (its DriftMonitor over a
/// filesystem store: statistics, correction, histograms, the report's JSON and page written, the watch saved) from the same
/// sample and window as bench/drift_scipy.py's `report`, and prints its median time and the largest differences from scipy.
/// </summary>
public static class Program
{
    const int Features = 10, Rows = 1_000_000;

    public static int Main(string[] args)
    {
        if (args is ["report", var folder, var referenceKind, var window, var count, var scipyReport])
            return Report(folder, referenceKind, int.Parse(window), int.Parse(count), scipyReport).GetAwaiter().GetResult();
        if (args is not ["run", var dir, var scipyJson, ..]) { Console.Error.WriteLine("usage: run DIR SCIPY_JSON [REPEATS] | report DIR large|small WINDOW REPEATS SCIPY_JSON"); return 2; }
        var repeats = args.Length > 3 ? int.Parse(args[3]) : 5;
        var reference = Read(Path.Combine(dir, "ref.bin"));
        var current = Read(Path.Combine(dir, "cur.bin"));
        var times = new List<double>();
        (double Ks, double P, double W, double Psi)[] result = [];
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            result = new (double, double, double, double)[Features];
            Parallel.For(0, Features, f =>
            {
                var a = reference.AsSpan(f * Rows, Rows).ToArray();
                var b = current.AsSpan(f * Rows, Rows).ToArray();
                Array.Sort(a);
                Array.Sort(b);
                var d = DriftStatistics.KsStatistic(a, b);
                result[f] = (d, DriftStatistics.KsPValue(d, Rows, Rows), DriftStatistics.Wasserstein(a, b), DriftStatistics.Psi(a, b));
            });
            times.Add(clock.Elapsed.TotalSeconds);
        }
        var scipy = JsonDocument.Parse(File.ReadAllText(scipyJson)).RootElement.GetProperty("features");
        double Diff(Func<int, double> mine, string name) => Enumerable.Range(0, Features).Max(f => Math.Abs(mine(f) - scipy[f].GetProperty(name).GetDouble()));
        times.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "mlops",
            seconds_median = times[times.Count / 2],
            seconds_min = times[0],
            repeats,
            max_diff_ks = Diff(f => result[f].Ks, "ks"),
            max_diff_ks_p_asymptotic = Diff(f => result[f].P, "ks_p_asymptotic"),
            max_diff_ks_p_scipy_default = Diff(f => result[f].P, "ks_p_scipy_default"),
            max_diff_wasserstein = Diff(f => result[f].W, "wasserstein"),
            max_diff_psi = Diff(f => result[f].Psi, "psi"),
            features = result.Select(r => new { ks = r.Ks, p = r.P, wasserstein = r.W, psi = r.Psi }),
        }));
        return 0;
    }

    static double[] Read(string path) => MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(path)).ToArray();

    const int Sample = 5000, Window = 5000;

    static async Task<int> Report(string dir, string referenceKind, int windowRows, int repeats, string scipyJson)
    {
        var sample = Read(Path.Combine(dir, "sample.bin"));
        var window = Read(Path.Combine(dir, "window.bin"));
        var segment = File.ReadAllBytes(Path.Combine(dir, "window-segment.bin"));
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report-meta.json"))).RootElement;
        var names = meta.GetProperty("segments").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var counts = meta.GetProperty("training_counts").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var small = referenceKind == "small";
        var take = small ? 800 : Sample;
        var features = Enumerable.Range(0, Features).Select(f => sample.AsSpan(f * Sample, take).ToArray())
            .Select((s, f) => new FeatureProfile($"f{f}", small ? 800 : Rows, s.Min(), s.Max(), s.Average(), 1, s))
            .Append(new FeatureProfile("segment", small ? 800 : Rows, 0, 0, 0, 0, [], names.Zip(counts).ToDictionary(x => x.First, x => x.Second)))
            .ToList();
        var store = new FileSystemArtifactStore(Directory.CreateTempSubdirectory("mlops-drift-bench").FullName);
        var run = Guid.NewGuid();
        await store.PutJsonAsync(ArtifactKeys.Spec(run), new PipelineSpec { Target = "y", Drift = new DriftSpec { MinSamples = windowRows } }, default);
        await store.PutJsonAsync(ArtifactKeys.Profile(run), new ReferenceProfile(run, small ? 800 : Rows, "y", new Dictionary<string, long> { ["0"] = 1, ["1"] = 1 }, features), default);
        var monitor = new DriftMonitor(new Watches(store, TimeProvider.System, NullLogger<Watches>.Instance), store, TimeProvider.System, NullLogger<DriftMonitor>.Instance);
        var featureNames = Enumerable.Range(0, Features).Select(f => $"f{f}").ToList();
        var served = new PredictionsServed(run, "bench", 1, featureNames, Enumerable.Range(0, windowRows).Select(i =>
            new ServedPrediction($"p{i}", Enumerable.Range(0, Features).Select(f => (float)window[f * Window + i]).ToArray(), "1", DateTimeOffset.UtcNow, [names[segment[i]]])).ToList(), ["segment"]);

        await monitor.ObserveAsync(served, default); // the first window also loads the spec and profile, once per model: not timed
        var times = new List<double>();
        DriftReport report = null!;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            report = (await monitor.ObserveAsync(served, default))!.Report;
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        var scipy = JsonDocument.Parse(File.ReadAllText(scipyJson)).RootElement.GetProperty("features").EnumerateArray().ToList();
        // Live rows arrive as float32 (what infer logs), scipy reads them as float64: the statistics agree to float32's precision.
        var statisticDiff = report.Features.Zip(scipy).Max(x => Math.Abs(x.First.Statistic - x.Second.GetProperty("statistic").GetDouble()));
        var pDiff = report.Features.Zip(scipy).Where(x => x.First.PValue is not null).Select(x => Math.Abs(x.First.PValue!.Value - x.Second.GetProperty("pValue").GetDouble())).DefaultIfEmpty(0).Max();
        var sameVerdicts = report.Features.Zip(scipy).All(x => x.First.Drifted == x.Second.GetProperty("drifted").GetBoolean() && x.First.Test == x.Second.GetProperty("test").GetString());
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "mlops", @case = $"{referenceKind}-{windowRows}", seconds_median = times[times.Count / 2], repeats,
            max_diff_statistic = statisticDiff, max_diff_p = pDiff, same_verdicts = sameVerdicts,
            tests = report.Features.Select(f => f.Test).Distinct().ToArray(),
        }));
        return 0;
    }
}
