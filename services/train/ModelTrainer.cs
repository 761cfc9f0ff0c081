using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Train;

/// <summary>A domain failure of training (bad spec for this data, too little data): the run fails at once, with no retry.</summary>
public sealed class TrainingException(string message) : Exception(message);

public sealed class FeatureRow
{
    public float[] Features { get; set; } = [];
    public string Label { get; set; } = "";
}

sealed class BinaryRow
{
    public float[] Features { get; set; } = [];
    public bool Label { get; set; }
}

sealed class FeaturesOnly
{
    public float[] Features { get; set; } = [];
}

public record TrainedModel(byte[] ModelZip, byte[] Onnx, ModelCard Card);

/// <summary>
/// Trains one model with ML.NET from a spec, deterministically: the same rows, spec and seed give the same model
/// (<see cref="ModelCard.ModelSha256"/> hashes the zip's entries, which are identical across trainings even when
/// the zip container's bytes are not). The ONNX export is then scored with ONNX Runtime on the hold-out set and must
/// agree with ML.NET (labels equal, probabilities within 1e-5), or the model goes nowhere.
/// </summary>
public static class ModelTrainer
{
    public const double OnnxTolerance = 1e-5;

    public static TrainedModel Train(Guid runId, string pipeline, PipelineSpec spec, IReadOnlyList<string> features, string target,
        IReadOnlyList<FeatureRow> rows, string codeVersion)
    {
        var classes = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2) throw new TrainingException($"The target '{target}' has {classes.Length} class(es); a classifier needs at least 2.");
        var task = spec.Task == ModelTask.Auto ? (classes.Length == 2 ? ModelTask.Binary : ModelTask.Multiclass) : spec.Task;
        if (task == ModelTask.Binary && classes.Length != 2)
            throw new TrainingException($"The spec says binary, but the target '{target}' has {classes.Length} classes.");
        var testRows = (int)Math.Round(rows.Count * spec.Trainer.TestFraction);
        if (testRows < 10 || rows.Count - testRows < 20)
            throw new TrainingException($"{rows.Count} rows are too few to hold out {spec.Trainer.TestFraction:P0} for testing (need at least 10 test and 20 training rows).");

        var ml = new MLContext(seed: spec.Trainer.Seed);
        var width = features.Count;
        var stopwatch = Stopwatch.StartNew();
        var result = task == ModelTask.Binary
            ? TrainBinary(ml, spec, rows, classes, width)
            : TrainMulticlass(ml, spec, rows, width);
        stopwatch.Stop();

        using var zip = new MemoryStream();
        ml.Model.Save(result.Model, result.InputSchema, zip);
        using var onnx = new MemoryStream();
        ml.Model.ConvertToOnnx(result.Model, FeaturesView(ml, width), onnx);

        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            ["trainingSeconds"] = Math.Round(stopwatch.Elapsed.TotalSeconds, 3),
            ["trainRows"] = rows.Count - result.TestFeatures.Length / width,
            ["testRows"] = result.TestFeatures.Length / width,
        };
        // Multiclass graphs give class probabilities as Score; binary ones as a calibrated Probability, when the trainer has one.
        var probabilityOutput = task == ModelTask.Multiclass ? "Score.output" : result.HasProbability ? "Probability.output" : null;
        var zipBytes = zip.ToArray();
        var onnxBytes = onnx.ToArray();
        var card = new ModelCard(runId, pipeline, task, spec.Trainer.Name, target, features, result.Classes, ContentHash(zipBytes),
            "Features", "PredictedLabel.output", probabilityOutput, metrics,
            (long)metrics["trainRows"], (long)metrics["testRows"], 0, codeVersion);

        var difference = CheckOnnx(onnxBytes, card, result);
        return new TrainedModel(zipBytes, onnxBytes, card with { OnnxMaxDifference = difference });
    }

    sealed record Fitted(ITransformer Model, DataViewSchema InputSchema, string[] Classes, IReadOnlyDictionary<string, double> Metrics,
        float[] TestFeatures, string[] ExpectedLabels, float[][] ExpectedProbabilities, bool HasProbability);

    static Fitted TrainBinary(MLContext ml, PipelineSpec spec, IReadOnlyList<FeatureRow> rows, string[] classes, int width)
    {
        var schema = SchemaDefinition.Create(typeof(BinaryRow));
        schema[nameof(BinaryRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new BinaryRow { Features = r.Features, Label = r.Label == classes[1] }), schema);
        var split = ml.Data.TrainTestSplit(data, spec.Trainer.TestFraction, seed: spec.Trainer.Seed);

        var h = new Hyper(spec.Trainer.Hyperparameters);
        IEstimator<ITransformer> trainer = spec.Trainer.Name switch
        {
            "LightGbm" => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves, LearningRate = h.LearningRate,
                MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Trainer.Seed, NumberOfThreads = 1,
            }),
            "FastTree" => ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: h.Leaves, numberOfTrees: h.Trees, minimumExampleCountPerLeaf: h.MinPerLeaf, learningRate: h.LearningRate),
            "FastForest" => ml.BinaryClassification.Trainers.FastForest(numberOfLeaves: h.Leaves, numberOfTrees: h.Trees, minimumExampleCountPerLeaf: h.MinPerLeaf),
            "Linear" => ml.Transforms.NormalizeMinMax("Features").Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: h.Iterations)),
            _ => throw new TrainingException($"Unknown trainer '{spec.Trainer.Name}'."),
        };
        var model = trainer.Fit(split.TrainSet);
        var scored = model.Transform(split.TestSet);
        var hasProbability = scored.Schema.GetColumnOrNull("Probability") is not null;
        var metrics = new Dictionary<string, double>();
        if (hasProbability)
        {
            var m = ml.BinaryClassification.Evaluate(scored);
            metrics["accuracy"] = m.Accuracy; metrics["f1"] = m.F1Score; metrics["auc"] = m.AreaUnderRocCurve; metrics["logLoss"] = m.LogLoss;
        }
        else
        {
            var m = ml.BinaryClassification.EvaluateNonCalibrated(scored);
            metrics["accuracy"] = m.Accuracy; metrics["f1"] = m.F1Score; metrics["auc"] = m.AreaUnderRocCurve;
        }
        var predicted = scored.GetColumn<bool>("PredictedLabel").Select(b => b ? classes[1] : classes[0]).ToArray();
        var probabilities = hasProbability
            ? scored.GetColumn<float>("Probability").Select(p => new[] { 1 - p, p }).ToArray()
            : predicted.Select(_ => Array.Empty<float>()).ToArray();
        return new Fitted(model, data.Schema, classes, Clean(metrics), Flatten(split.TestSet, width), predicted, probabilities, hasProbability);
    }

    static Fitted TrainMulticlass(MLContext ml, PipelineSpec spec, IReadOnlyList<FeatureRow> rows, int width)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var raw = ml.Data.LoadFromEnumerable(rows, schema);
        // The label becomes a key before the model, so the exported graph takes only the features.
        var labels = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(raw);
        var data = labels.Transform(raw);
        VBuffer<ReadOnlyMemory<char>> keys = default;
        data.Schema["Label"].GetKeyValues(ref keys);
        var classes = keys.DenseValues().Select(k => k.ToString()).ToArray();
        var split = ml.Data.TrainTestSplit(data, spec.Trainer.TestFraction, seed: spec.Trainer.Seed);

        var h = new Hyper(spec.Trainer.Hyperparameters);
        IEstimator<ITransformer> trainer = spec.Trainer.Name switch
        {
            "LightGbm" => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves, LearningRate = h.LearningRate,
                MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Trainer.Seed, NumberOfThreads = 1,
            }),
            "FastTree" => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: h.Leaves, numberOfTrees: h.Trees, minimumExampleCountPerLeaf: h.MinPerLeaf, learningRate: h.LearningRate)),
            "FastForest" => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(numberOfLeaves: h.Leaves, numberOfTrees: h.Trees, minimumExampleCountPerLeaf: h.MinPerLeaf)),
            "Linear" => ml.Transforms.NormalizeMinMax("Features").Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: h.Iterations)),
            _ => throw new TrainingException($"Unknown trainer '{spec.Trainer.Name}'."),
        };
        var model = trainer.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(split.TrainSet);
        var scored = model.Transform(split.TestSet);
        var m = ml.MulticlassClassification.Evaluate(scored);
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = m.MicroAccuracy, ["microAccuracy"] = m.MicroAccuracy, ["macroAccuracy"] = m.MacroAccuracy, ["logLoss"] = m.LogLoss,
        };
        var predicted = scored.GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(l => l.ToString()).ToArray();
        var probabilities = scored.GetColumn<VBuffer<float>>("Score").Select(s => s.DenseValues().ToArray()).ToArray();
        return new Fitted(model, data.Schema, classes, Clean(metrics), Flatten(split.TestSet, width), predicted, probabilities, true);
    }

    static IReadOnlyDictionary<string, double> Clean(Dictionary<string, double> metrics) =>
        metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 6));

    static float[] Flatten(IDataView data, int width) =>
        data.GetColumn<float[]>("Features").SelectMany(f => f).ToArray();

    static IDataView FeaturesView(MLContext ml, int width)
    {
        var schema = SchemaDefinition.Create(typeof(FeaturesOnly));
        schema[nameof(FeaturesOnly.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return ml.Data.LoadFromEnumerable(new[] { new FeaturesOnly { Features = new float[width] } }, schema);
    }

    /// <summary>The load-and-query check: the exported graph must answer the hold-out set as ML.NET did.</summary>
    static double CheckOnnx(byte[] onnx, ModelCard card, Fitted fitted)
    {
        using var scorer = new OnnxScorer(onnx, card);
        var rows = fitted.ExpectedLabels.Length;
        var got = scorer.Score(fitted.TestFeatures, rows);
        var maxDifference = 0.0;
        for (var i = 0; i < rows; i++)
        {
            if (got[i].Label != fitted.ExpectedLabels[i])
                throw new TrainingException($"ONNX check failed: hold-out row {i} is '{got[i].Label}' in ONNX Runtime but '{fitted.ExpectedLabels[i]}' in ML.NET.");
            for (var k = 0; k < fitted.ExpectedProbabilities[i].Length; k++)
                maxDifference = Math.Max(maxDifference, Math.Abs(got[i].Probabilities[k] - fitted.ExpectedProbabilities[i][k]));
        }
        if (maxDifference > OnnxTolerance)
            throw new TrainingException($"ONNX check failed: probabilities differ from ML.NET's by up to {maxDifference:G3} (tolerance {OnnxTolerance:G1}).");
        return maxDifference;
    }

    /// <summary>SHA-256 over the zip's entries (name and bytes, in name order): stable where the container's bytes are not.</summary>
    public static string ContentHash(byte[] modelZip)
    {
        using var archive = new ZipArchive(new MemoryStream(modelZip), ZipArchiveMode.Read);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var entry in archive.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(entry.FullName + "\n"));
            using var content = entry.Open();
            var buffer = new MemoryStream();
            content.CopyTo(buffer);
            hash.AppendData(BitConverter.GetBytes(buffer.Length));
            hash.AppendData(buffer.ToArray());
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Hyperparameters with defaults close to scikit-learn's HistGradientBoosting (31 leaves, rate 0.1, 20 per leaf).</summary>
    sealed class Hyper(IReadOnlyDictionary<string, double> values)
    {
        public int Trees => Int("numberOfTrees", 100);
        public int Leaves => Int("numberOfLeaves", 31);
        public double LearningRate => values.GetValueOrDefault("learningRate", 0.1);
        public int MinPerLeaf => Int("minimumExampleCountPerLeaf", 20);
        public int Iterations => Int("maximumNumberOfIterations", 100);

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? checked((int)Math.Round(v)) : fallback;
    }
}
