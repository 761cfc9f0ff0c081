using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.Validate;

namespace MlOps.Bench.Validate;

/// <summary>
/// The validate benchmark's .NET side. `generate FILE ROWS` writes the benchmark CSV (deterministic);
/// `run FILE SUITE` validates it once, in this process, and prints one JSON line: seconds, rows per second, peak RSS.
/// bench/validate.sh runs it side by side with the pandas baseline (bench/validate_pandas.py) on the same file.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["generate", var file, var rows]:
                Generate(file, long.Parse(rows, CultureInfo.InvariantCulture));
                return 0;
            case ["run", var file, var suite]:
                Run(file, suite, WarmUp());
                return 0;
            case ["run", var file, var suite, var repeat]:
                var warmUp = WarmUp();
                for (var i = 0; i < int.Parse(repeat, CultureInfo.InvariantCulture); i++) Run(file, suite, warmUp);
                return 0;
            default:
                Console.Error.WriteLine("usage: generate FILE ROWS | run FILE SUITE.json");
                return 2;
        }
    }

    /// <summary>Ten columns: seven real features, a whole-number quantity, a four-valued segment and a binary label.</summary>
    static void Generate(string file, long rows)
    {
        var random = new Random(42);
        using var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("f0,f1,f2,f3,f4,f5,f6,qty,segment,label\n");
        var line = new StringBuilder();
        string[] segments = ["a", "b", "c", "d"];
        for (long r = 0; r < rows; r++)
        {
            line.Clear();
            for (var f = 0; f < 7; f++)
            {
                // Roughly normal (sum of uniforms), six decimals like most exported feature tables.
                var x = (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2 + f * 0.1;
                line.Append(x.ToString("F6", CultureInfo.InvariantCulture)).Append(',');
            }
            line.Append(random.Next(0, 101)).Append(',').Append(segments[random.Next(4)]).Append(',').Append(random.Next(2)).Append('\n');
            writer.Write(line);
        }
    }

    /// <summary>What the validate service does at start unless Validate__WarmUpAtStart=false (<see cref="ValidationWarmUp"/>).</summary>
    static double? WarmUp() =>
        Environment.GetEnvironmentVariable("Validate__WarmUpAtStart") == "false" ? null : ValidationWarmUp.Run().TotalSeconds;

    static void Run(string file, string suitePath, double? warmUpSeconds)
    {
        var spec = JsonSerializer.Deserialize<PipelineSpec>(File.ReadAllText(suitePath), ArtifactStoreJson.Options)!;
        var clock = Stopwatch.StartNew();
        DatasetScan scan;
        using (var csv = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            scan = DatasetScan.Run(csv, spec);
        var report = new ExpectationSuite(spec).Evaluate(Guid.NewGuid(), "bench", scan);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "mlops",
            warm_up_seconds = warmUpSeconds,
            rows = scan.Rows,
            seconds,
            rows_per_second = scan.Rows / seconds,
            peak_rss_mb = PeakRssMb(),
            allocated_mb = GC.GetTotalAllocatedBytes() / 1048576.0,
            gcs = $"{GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}",
            expectations = report.Statistics.EvaluatedExpectations,
            suite_expectations = spec.Validation.Expectations.Count,
            failed = report.Results.Where(r => !r.Success).Select(r => $"{r.ExpectationType}({r.Column})").ToArray(),
        }));
    }

    /// <summary>VmHWM: the most resident memory this process ever had.</summary>
    static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
