using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.Train;

namespace MlOps.Bench.Train;

/// <summary>
/// The training benchmark's .NET side: `run FILE TRAINER [key=value …]` trains MlOps' trainer on the CSV (last column the
/// label) exactly as the train service does, and prints one JSON line: fit seconds (ML.NET's Fit only, as sklearn's fit),
/// hold-out accuracy and AUC, and the whole call's seconds (with ONNX export and the ONNX parity check on the hold-out).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["run", var file, var trainer, .. var hyper])
        {
            Console.Error.WriteLine("usage: run FILE TRAINER [hyperparameter=value ...]");
            return 2;
        }
        var spec = new PipelineSpec
        {
            Task = ModelTask.Binary,
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
        var model = ModelTrainer.Train(Guid.NewGuid(), "bench", spec, layout, header[^1], rows, "bench");
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = "mlops",
            trainer = trainer + (hyper.Length > 0 ? " " + string.Join(" ", hyper) : ""),
            rows = rows.Inputs.Rows,
            fit_seconds = model.Card.Metrics["trainingSeconds"],
            read_seconds = read,
            train_call_seconds = total,
            accuracy = model.Card.Metrics["accuracy"],
            auc = model.Card.Metrics.GetValueOrDefault("auc"),
            test_rows = model.Card.TestRows,
            model_sha256 = model.Card.ModelSha256,
        }));
        return 0;
    }
}
