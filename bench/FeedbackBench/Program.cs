using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MlOps.Contracts;
using MlOps.Monitor;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Bench.Feedback;

/// <summary>
/// What keeping served rows for feedback costs monitor: `run STORE [BATCHES]` hands monitor's ServedLog BATCHES
/// PredictionsServed messages of 500 rows (10 features) one after another, as one consumer would, with the served log on
/// (Monitor:KeepServedRows, the default) and off (memory only, the baseline), and prints one JSON line each: milliseconds
/// per batch and rows per second. STORE is `filesystem` (a temporary folder) or `s3` (ConnectionStrings__artifacts).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["run", var kind, .. var rest] || kind is not ("filesystem" or "s3"))
        {
            Console.Error.WriteLine("usage: run filesystem|s3 [BATCHES]");
            return 2;
        }
        var batches = rest.Length > 0 ? int.Parse(rest[0]) : 200;
        foreach (var keep in new[] { true, false })
        {
            IArtifactStore store = kind == "filesystem"
                ? new FileSystemArtifactStore(Directory.CreateTempSubdirectory("mlops-feedback-bench").FullName)
                : new S3ArtifactStore(Environment.GetEnvironmentVariable("ConnectionStrings__artifacts")
                    ?? throw new InvalidOperationException("Set ConnectionStrings__artifacts (eval \"$(bash scripts/infra.sh env)\")."));
            var options = Microsoft.Extensions.Options.Options.Create(new MonitorOptions { KeepServedRows = keep });
            var book = new ServedLog(store, new FeedbackLedger(store, NullLogger<FeedbackLedger>.Instance), TimeProvider.System, options, NullLogger<ServedLog>.Instance);
            var pipeline = "bench-" + Guid.NewGuid().ToString("N")[..8];
            var work = Enumerable.Range(0, batches + 10).Select(_ => Batch(pipeline)).ToList();
            foreach (var batch in work.Take(10)) await book.RememberAsync(batch, default); // warm-up
            var clock = Stopwatch.StartNew();
            foreach (var batch in work.Skip(10)) await book.RememberAsync(batch, default);
            var perBatch = clock.Elapsed.TotalMilliseconds / batches;
            Console.WriteLine(JsonSerializer.Serialize(new { store = kind, keep, batches, rows_per_batch = 500, ms_per_batch = perBatch, rows_per_second = 500 / perBatch * 1000 }));
        }
        return 0;
    }

    static readonly IReadOnlyList<string> Features = [.. Enumerable.Range(0, 10).Select(i => $"f{i}")];

    static PredictionsServed Batch(string pipeline)
    {
        var random = Random.Shared;
        var rows = Enumerable.Range(0, 500).Select(_ => new ServedPrediction($"{Guid.NewGuid():N}-{Guid.NewGuid():N}",
            [.. Enumerable.Range(0, 10).Select(_ => (float)random.NextDouble())], random.Next(2).ToString(), DateTimeOffset.UtcNow)).ToList();
        return new PredictionsServed(Guid.NewGuid(), pipeline, 1, Features, rows);
    }
}
