using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using MlOps.Monitor;

namespace MlOps.Bench.Drift;

/// <summary>
/// The drift benchmark's .NET side: `run DIR SCIPY_JSON [REPEATS]` reads the same ref.bin/cur.bin as scipy, computes KS
/// (statistic and asymptotic p), Wasserstein and PSI for every feature (features in parallel, one sort per sample), times
/// the whole report REPEATS times, and prints one JSON line with the times and the largest differences from scipy's values.
/// </summary>
public static class Program
{
    const int Features = 10, Rows = 1_000_000;

    public static int Main(string[] args)
    {
        if (args is not ["run", var dir, var scipyJson, ..]) { Console.Error.WriteLine("usage: run DIR SCIPY_JSON [REPEATS]"); return 2; }
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
}
