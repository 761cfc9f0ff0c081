using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Bench.GpuCheck;

/// <summary>
/// `STORE RUN_ID...`: loads each run's model.onnx from an embedded artifact store (as `TrainBench --save` or the train
/// service wrote it) through the product's own scorer, which picks the execution provider once per process (CUDA when the GPU
/// build runs where a device answers, CPU otherwise, or when MLOPS_DISABLE_GPU=1), then checks the answers against ML.NET's
/// training-time answers (holdout-predictions.csv, as the staging smoke test does) and times batch and single-row scoring.
/// Prints one JSON line per run. MLOPS_ORT_VERBOSE=1 makes ONNX Runtime log where each graph node was placed.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not [var root, .. var runs] || runs.Length == 0)
        {
            Console.Error.WriteLine("usage: STORE RUN_ID [RUN_ID ...]");
            return 2;
        }
        if (Environment.GetEnvironmentVariable("MLOPS_ORT_VERBOSE") == "1")
        {
            var env = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE, logId = "gpucheck" };
            OrtEnv.CreateInstanceWithOptions(ref env);
        }
        var store = new FileSystemArtifactStore(root);
        var failed = false;
        foreach (var run in runs)
        {
            var runId = Guid.Parse(run);
            var ct = CancellationToken.None;
            var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
            var onnx = await store.ReadAllBytesAsync(ArtifactKeys.Onnx(runId), ct);
            var clock = Stopwatch.StartNew();
            using var scorer = new OnnxScorer(onnx, card);
            var loadSeconds = clock.Elapsed.TotalSeconds;
            LabelledRows rows;
            await using (var csv = await store.OpenReadAsync(ArtifactKeys.Holdout(runId), ct))
                rows = CsvRows.Read(csv, card, withTarget: false);
            var expected = new List<string[]>();
            await using (var csv = await store.OpenReadAsync(ArtifactKeys.HoldoutPredictions(runId), ct))
            using (var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(csv))
                foreach (var row in reader)
                {
                    var cells = new string[row.ColCount];
                    for (var i = 0; i < cells.Length; i++) cells[i] = row[i].ToString();
                    expected.Add(cells);
                }

            var answers = scorer.Score(rows.Inputs);
            var mismatches = 0; var maxDifference = 0.0;
            for (var i = 0; i < answers.Length; i++)
            {
                if (card.Task == ModelTask.Regression)
                {
                    var want = double.Parse(expected[i][0], CultureInfo.InvariantCulture);
                    maxDifference = Math.Max(maxDifference, Math.Abs(answers[i].Value!.Value - want) / Math.Max(1, Math.Abs(want)));
                    continue;
                }
                if (answers[i].Label != expected[i][0]) mismatches++;
                for (var k = 0; k < answers[i].Probabilities.Length && k + 1 < expected[i].Length; k++)
                    maxDifference = Math.Max(maxDifference, Math.Abs(answers[i].Probabilities[k] - double.Parse(expected[i][k + 1], CultureInfo.InvariantCulture)));
            }
            var agrees = mismatches == 0 && maxDifference <= 1e-5;
            failed |= !agrees;

            var batch = Tile(rows.Inputs, 100_000, card);
            var batchSeconds = Median(7, () => scorer.Score(batch));
            var one = Tile(rows.Inputs, 1, card);
            var single = new double[3000];
            for (var i = 0; i < 200; i++) scorer.Score(one);
            for (var i = 0; i < single.Length; i++)
            {
                var t = Stopwatch.GetTimestamp();
                scorer.Score(one);
                single[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            }
            Array.Sort(single);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                run = run,
                trainer = card.Trainer,
                task = card.Task.ToString(),
                provider = scorer.ExecutionProvider,
                reason = MlOps.Scoring.ExecutionProvider.Reason,
                load_seconds = Math.Round(loadSeconds, 3),
                holdout_rows = answers.Length,
                label_mismatches = mismatches,
                max_difference = maxDifference,
                agrees_with_training = agrees,
                batch_rows = batch.Rows,
                batch_rows_per_second = Math.Round(batch.Rows / batchSeconds),
                single_row_p50_us = Math.Round(single[single.Length / 2], 1),
                single_row_p99_us = Math.Round(single[single.Length * 99 / 100], 1),
            }));
        }
        return failed ? 1 : 0;
    }

    /// <summary>The first hold-out rows repeated up to <paramref name="rows"/> rows.</summary>
    static ModelInputs Tile(ModelInputs source, int rows, ModelCard card)
    {
        int f = card.Features.Count, c = card.Categorical.Count, h = card.HashedText.Count;
        var numeric = new float[rows * f]; var categorical = new string[rows * c]; var hashed = new string[rows * h];
        for (var i = 0; i < rows; i++)
        {
            var from = i % source.Rows;
            Array.Copy(source.Numeric, from * f, numeric, i * f, f);
            Array.Copy(source.Categorical, from * c, categorical, i * c, c);
            Array.Copy(source.Hashed, from * h, hashed, i * h, h);
        }
        return new ModelInputs(rows, numeric, categorical, hashed);
    }

    static double Median(int runs, Action action)
    {
        action();
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var t = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(t).TotalSeconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
