using System.Diagnostics;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Bench.Serve;

/// <summary>
/// The serving benchmark's in-process baseline: `run ARTIFACTS PIPELINE [THREADS_PER_CALL]` loads the model deploy serves
/// (the same model.onnx and card) into ONNX Runtime in this process, with the service's threads per call (1 unless given) and times single-row scoring (p50, p99 over 20,000 calls)
/// and 1,000-row batches (rows per second), printing one JSON line.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["run", var artifacts, var pipeline, ..] || args.Length > 4 || args.Length == 4 && !int.TryParse(args[3], out _))
        {
            Console.Error.WriteLine("usage: run ARTIFACTS PIPELINE [THREADS_PER_CALL]   (the service's Deploy:ScoringThreadsPerRequest; 0: ONNX Runtime's default)");
            return 2;
        }
        var threads = args.Length == 4 ? int.Parse(args[3]) : 1;
        var store = new FileSystemArtifactStore(artifacts);
        var record = await store.GetJsonAsync<JsonElement>($"deployments/{pipeline}.json", default);
        var runId = record.GetProperty("runId").GetGuid();
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), default);
        using var scorer = new OnnxScorer(await store.ReadAllBytesAsync(ArtifactKeys.Onnx(runId), default), card, threads);

        var random = new Random(1);
        var row = Enumerable.Range(0, card.Features.Count).Select(_ => (float)random.NextDouble()).ToArray();
        for (var i = 0; i < 2000; i++) scorer.Score(row, 1);
        var times = new double[20_000];
        for (var i = 0; i < times.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            scorer.Score(row, 1);
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);

        const int batch = 1000;
        var rows = Enumerable.Range(0, batch * card.Features.Count).Select(_ => (float)random.NextDouble()).ToArray();
        for (var i = 0; i < 20; i++) scorer.Score(rows, batch);
        var clock = Stopwatch.StartNew();
        var batches = 0;
        while (clock.Elapsed.TotalSeconds < 3) { scorer.Score(rows, batch); batches++; }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "onnxruntime-in-process",
            single_p50_ms = times[times.Length / 2],
            single_p99_ms = times[(int)(times.Length * 0.99)],
            single_per_second = 1000 / times.Average(),
            batch_rows_per_second = batches * batch / clock.Elapsed.TotalSeconds,
            provider = scorer.ExecutionProvider,
            threads_per_call = threads,
        }));
        return 0;
    }
}
