using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.Train;

namespace MlOps.Bench.Train;

/// <summary>
/// The training benchmark's .NET side: `run FILE TRAINER [key=value …]` trains MlOps' trainer on the CSV (last column the
/// label) exactly as the train service does, and prints one JSON line: fit seconds (ML.NET's Fit only, as sklearn's fit),
/// hold-out accuracy and AUC (r2 for `--task regression`), and the whole call's seconds (with ONNX export and the ONNX parity check on the hold-out).
/// With `--save FOLDER` the model, its card and its hold-out rows are kept in FOLDER as an embedded artifact store.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? saveTo = null;
        var task = ModelTask.Binary;
        while (args is ["--save", var folder, .. var afterSave]) { saveTo = folder; args = afterSave; }
        if (args is ["--task", var name, .. var afterTask]) { task = Enum.Parse<ModelTask>(name, ignoreCase: true); args = afterTask; }
        if (args is not ["run", var file, var trainer, .. var hyper])
        {
            Console.Error.WriteLine("usage: [--save FOLDER] [--task binary|multiclass|regression] run FILE TRAINER [hyperparameter=value ...]");
            return 2;
        }
        var spec = new PipelineSpec
        {
            Task = task,
            Trainer = new TrainerSpec
            {
                Name = trainer,
                Hyperparameters = hyper.Select(h => h.Split('=')).ToDictionary(h => h[0], h => double.Parse(h[1], CultureInfo.InvariantCulture)),
            },
        };
        var header = File.ReadLines(file).First().Split(',');
        var features = header[..^1];
        var layout = FeatureLayout.From(spec, features);
        var clock = Stopwatch.StartNew();
        LabelledRows rows;
        using (var csv = File.OpenRead(file))
            rows = CsvRows.Read(csv, layout.Numeric, layout.Categorical, layout.Hashed, header[^1]);
        var read = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var runId = Guid.NewGuid();
        var model = ModelTrainer.Train(runId, "bench", spec, layout, header[^1], rows, "bench");
        var total = clock.Elapsed.TotalSeconds;
        if (saveTo is not null) Save(new FileSystemArtifactStore(saveTo), runId, model).GetAwaiter().GetResult();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "mlops",
            trainer = trainer + (hyper.Length > 0 ? " " + string.Join(" ", hyper) : ""),
            rows = rows.Inputs.Rows,
            fit_seconds = model.Card.Metrics["trainingSeconds"],
            read_seconds = read,
            train_call_seconds = total,
            accuracy = model.Card.Metrics.GetValueOrDefault("accuracy"),
            r2 = model.Card.Metrics.GetValueOrDefault("r2"),
            auc = model.Card.Metrics.GetValueOrDefault("auc"),
            test_rows = model.Card.TestRows,
            model_sha256 = model.Card.ModelSha256,
            run_id = runId.ToString("N"),
        }));
        return 0;
    }

    /// <summary>`--save`: the run's model artifacts under the same keys the train service stores them (bench/GpuCheck reads them).</summary>
    static async Task Save(IArtifactStore store, Guid runId, TrainedModel model)
    {
        var ct = CancellationToken.None;
        await store.PutAsync(ArtifactKeys.Model(runId), new MemoryStream(model.ModelZip), "application/zip", ct);
        await store.PutAsync(ArtifactKeys.Onnx(runId), new MemoryStream(model.Onnx), "application/octet-stream", ct);
        await store.PutAsync(ArtifactKeys.Holdout(runId), new MemoryStream(model.HoldoutCsv), "text/csv", ct);
        await store.PutAsync(ArtifactKeys.HoldoutPredictions(runId), new MemoryStream(model.PredictionsCsv), "text/csv", ct);
        await store.PutJsonAsync(ArtifactKeys.ModelCard(runId), model.Card with { HoldoutKey = ArtifactKeys.Holdout(runId) }, ct);
    }
}
