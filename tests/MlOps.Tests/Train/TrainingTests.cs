using MlOps.Scoring;
using MlOps.Train;

namespace MlOps.Tests;

/// <summary>Training with real ML.NET and ONNX Runtime: every trainer for every task, reproducibility, feature engineering, bad specs.</summary>
public class TrainingTests
{
    internal static TrainedModel Train(PipelineSpec spec, string csv, string? target = null)
    {
        var header = csv[..csv.IndexOf('\n')].Split(',');
        target ??= spec.Target ?? header[^1];
        var features = header.Where(h => h != target).ToList();
        var layout = FeatureLayout.From(spec, features);
        var rows = CsvRows.Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), layout.Numeric, layout.Categorical, layout.Hashed, target, layout.Timestamps);
        return ModelTrainer.Train(Guid.NewGuid(), "p", spec, layout, target, rows, "test");
    }

    static string Sample(string name) => File.ReadAllText(TestInfra.Sample(name));

    /// <summary>y = 3·a − 2·b + 0.5·c + noise: a regression any trainer should learn.</summary>
    internal static string RegressionCsv(int rows = 600, int seed = 1)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("a,b,c,y\n");
        for (var i = 0; i < rows; i++)
        {
            double a = random.NextDouble() * 10, b = random.NextDouble() * 5, c = random.NextDouble();
            var y = 3 * a - 2 * b + 0.5 * c + random.NextDouble() * 0.5;
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{c:F4},{y:F4}\n"));
        }
        return csv.ToString();
    }

    /// <summary>A label decided by a colour (categorical), a size with empty cells (imputed) and a noisy zip code (hashed).</summary>
    internal static string CategoricalCsv(int rows = 800, int seed = 2)
    {
        var random = new Random(seed);
        string[] colours = ["red", "green", "blue"];
        var csv = new StringBuilder("colour,size,zip,label\n");
        for (var i = 0; i < rows; i++)
        {
            var colour = colours[random.Next(3)];
            var size = random.NextDouble() * 10;
            var label = (colour == "red" && size > 3) || (colour == "blue" && size > 7) ? "yes" : "no";
            var sizeText = random.Next(10) == 0 ? "" : size.ToString("F3", CultureInfo.InvariantCulture);
            csv.Append($"{colour},{sizeText},z{random.Next(50)},{label}\n");
        }
        return csv.ToString();
    }

    internal static readonly PipelineSpec CategoricalSpec = new()
    {
        Features = new FeatureSpec { Categorical = ["colour"], Hashed = ["zip"], HashBits = 6, Impute = new() { ["size"] = "mean" }, Normalize = "meanVariance" },
    };

    public static TheoryData<string> TrainerNames() => new() { "LightGbm", "FastTree", "FastForest", "Linear" };

    [Theory]
    [MemberData(nameof(TrainerNames))]
    public void EveryTrainerLearnsABinaryTaskAndPassesTheOnnxCheck(string trainer)
    {
        var model = Train(new PipelineSpec { Target = "target", Trainer = new TrainerSpec { Name = trainer } }, Sample("classification.csv"));
        Assert.Equal(ModelTask.Binary, model.Card.Task);
        Assert.True(model.Card.Metrics["accuracy"] > 0.75, $"{trainer}: accuracy {model.Card.Metrics["accuracy"]}");
        foreach (var metric in new[] { "f1", "auc", "logLoss", "trainingSeconds", "trainRows", "testRows" })
            Assert.True(model.Card.Metrics.ContainsKey(metric), $"{trainer} lacks {metric}");
        Assert.InRange(model.Card.OnnxMaxDifference, 0, ModelTrainer.OnnxTolerance);
        Assert.Equal(model.Card.TestRows, model.Evaluation.ConfusionMatrix!.Sum(r => r.Sum()));
    }

    public static TheoryData<string, string> TrainersAndTasks()
    {
        var cases = new TheoryData<string, string>();
        foreach (var trainer in new[] { "LightGbm", "FastTree", "FastForest", "Linear" })
            foreach (var task in new[] { "binary", "multiclass", "regression" }) cases.Add(trainer, task);
        return cases;
    }

    /// <summary>
    /// Checked apart from the trainer's own ONNX check: the served graph (deploy's OnnxScorer, in ONNX Runtime) answers the
    /// held-out rows as ML.NET did at training time, and those answers, scored here against the rows' true targets, are as
    /// good as the model card says.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrainersAndTasks))]
    public void TheServedGraphAnswersTheHoldOutAsMlNetDidAndAsWellAsTheCardSays(string trainer, string task)
    {
        var (spec, csv) = task switch
        {
            "binary" => (new PipelineSpec { Target = "target", Trainer = new TrainerSpec { Name = trainer } }, Sample("classification.csv")),
            "multiclass" => (new PipelineSpec { Trainer = new TrainerSpec { Name = trainer, TestFraction = 0.3 } }, Sample("iris.csv")),
            _ => (new PipelineSpec { Task = ModelTask.Regression, Trainer = new TrainerSpec { Name = trainer } }, RegressionCsv()),
        };
        var model = Train(spec, csv);
        using var scorer = new OnnxScorer(model.Onnx, model.Card);
        var holdout = CsvRows.Read(new MemoryStream(model.HoldoutCsv), model.Card, withTarget: true);
        var served = scorer.Score(holdout.Inputs);
        var mlnet = File.ReadAllLines(WriteTemp(model.PredictionsCsv)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(model.Card.TestRows, served.Length);
        Assert.Equal(mlnet.Count, served.Length);
        static double D(string x) => double.Parse(x, CultureInfo.InvariantCulture);
        if (task == "regression")
        {
            for (var i = 0; i < served.Length; i++)
                Assert.True(Math.Abs(D(mlnet[i][0]) - served[i].Value!.Value) <= ModelTrainer.OnnxTolerance * Math.Max(1, Math.Abs(D(mlnet[i][0]))), $"row {i}: {mlnet[i][0]} vs {served[i].Value}");
            var rmse = Math.Sqrt(served.Select((p, i) => Math.Pow(p.Value!.Value - D(holdout.Targets[i]), 2)).Average());
            Assert.Equal(model.Card.Metrics["rmse"], rmse, 0.001 * model.Card.Metrics["rmse"]);
            return;
        }
        for (var i = 0; i < served.Length; i++)
        {
            Assert.Equal(mlnet[i][0], served[i].Label);
            for (var k = 1; k < mlnet[i].Length; k++)
                Assert.Equal(D(mlnet[i][k]), served[i].Probabilities[k - 1], ModelTrainer.OnnxTolerance);
        }
        var accuracy = (double)served.Select((p, i) => p.Label == holdout.Targets[i] ? 1 : 0).Sum() / served.Length;
        Assert.Equal(model.Card.Metrics["accuracy"], accuracy, 0.0005);
    }

    [Theory]
    [MemberData(nameof(TrainerNames))]
    public void EveryTrainerLearnsAMulticlassTaskWithMacroF1(string trainer)
    {
        var model = Train(new PipelineSpec { Trainer = new TrainerSpec { Name = trainer, TestFraction = 0.3 } }, Sample("iris.csv"));
        Assert.Equal(ModelTask.Multiclass, model.Card.Task);
        Assert.Equal(["0", "1", "2"], model.Card.Classes);
        Assert.True(model.Card.Metrics["accuracy"] > 0.8, $"{trainer}: accuracy {model.Card.Metrics["accuracy"]}");
        Assert.True(model.Card.Metrics["f1"] > 0.8);
        Assert.Equal(3, model.Evaluation.ConfusionMatrix!.Length);
    }

    [Theory]
    [MemberData(nameof(TrainerNames))]
    public void EveryTrainerLearnsARegression(string trainer)
    {
        var model = Train(new PipelineSpec { Task = ModelTask.Regression, Trainer = new TrainerSpec { Name = trainer } }, RegressionCsv());
        Assert.Equal(ModelTask.Regression, model.Card.Task);
        Assert.Empty(model.Card.Classes);
        Assert.True(model.Card.Metrics["r2"] > 0.9, $"{trainer}: r2 {model.Card.Metrics["r2"]}");
        Assert.True(model.Card.Metrics["rmse"] > 0 && model.Card.Metrics["mae"] > 0);
        Assert.Null(model.Evaluation.ConfusionMatrix);
    }

    [Theory]
    [MemberData(nameof(TrainerNames))]
    public void TheSameDataSpecAndSeedGiveTheSameModel(string trainer)
    {
        var spec = new PipelineSpec { Target = "target", Trainer = new TrainerSpec { Name = trainer, Seed = 7 } };
        var first = Train(spec, Sample("classification.csv"));
        var second = Train(spec, Sample("classification.csv"));
        Assert.Equal(first.Card.ModelSha256, second.Card.ModelSha256);
        Assert.Equal(first.Card.Metrics.Where(m => m.Key != "trainingSeconds"), second.Card.Metrics.Where(m => m.Key != "trainingSeconds"));
        var otherSeed = Train(spec with { Trainer = spec.Trainer with { Seed = 8 } }, Sample("classification.csv"));
        Assert.NotEqual(first.Card.ModelSha256, otherSeed.Card.ModelSha256); // the seed is part of what makes the model
    }

    [Theory]
    [InlineData("classification.csv", "Binary")]
    [InlineData("iris.csv", "Multiclass")]
    [InlineData("regression", "Regression")]
    public void LightGbmGivesTheSameModelOnAnyThreadCount(string data, string task)
    {
        var csv = data == "regression" ? RegressionCsv() : Sample(data);
        var models = new[] { 1, 2, 4 }.Select(threads => Train(new PipelineSpec
        {
            Task = Enum.Parse<ModelTask>(task),
            Target = data == "classification.csv" ? "target" : null,
            Trainer = new TrainerSpec { Name = "LightGbm", Hyperparameters = new() { ["threads"] = threads } },
        }, csv)).ToList();
        Assert.All(models, m => Assert.Equal(models[0].Card.ModelSha256, m.Card.ModelSha256));
        Assert.All(models, m => Assert.Equal(models[0].PredictionsCsv, m.PredictionsCsv)); // the answers, to the last digit
        // The hash still tells models apart: another seed is another model.
        var reseeded = Train(new PipelineSpec { Task = Enum.Parse<ModelTask>(task), Target = data == "classification.csv" ? "target" : null, Trainer = new TrainerSpec { Name = "LightGbm", Seed = 7 } }, csv);
        Assert.NotEqual(models[0].Card.ModelSha256, reseeded.Card.ModelSha256);
    }

    [Theory]
    [InlineData("FastForest")]
    [InlineData("FastTree")]
    [InlineData("LightGbm")]
    public void RowFractionAndMaxBinsReachTheTrainer(string trainer)
    {
        var spec = new PipelineSpec { Target = "target", Trainer = new TrainerSpec { Name = trainer } };
        var plain = Train(spec, Sample("classification.csv"));
        var bagged = Train(spec with { Trainer = spec.Trainer with { Hyperparameters = new() { ["rowFraction"] = 0.5 } } }, Sample("classification.csv"));
        var coarse = Train(spec with { Trainer = spec.Trainer with { Hyperparameters = new() { ["maxBins"] = 4 } } }, Sample("classification.csv"));
        Assert.NotEqual(plain.Card.ModelSha256, coarse.Card.ModelSha256);
        // Four bins leave at most three places to cut a feature, across every tree; the default (255) cuts at many more.
        static Dictionary<int, int> Cuts(TrainedModel m) => Trees(m).SelectMany(t => t.NumericalSplitFeatureIndexes.Zip(t.NumericalSplitThresholds))
            .GroupBy(x => x.First).ToDictionary(g => g.Key, g => g.Select(x => x.Second).Distinct().Count());
        Assert.All(Cuts(coarse), c => Assert.True(c.Value <= 3, $"feature {c.Key} is cut at {c.Value} thresholds with maxBins 4"));
        Assert.Contains(Cuts(plain), c => c.Value > 3);
        Assert.True(bagged.Card.Metrics["accuracy"] > 0.7, $"{trainer} with rowFraction 0.5: accuracy {bagged.Card.Metrics["accuracy"]}");

        // Each tree learns from its share of the rows: with 100 rows at least per leaf, a tree that sees all 800 training rows
        // may grow up to 8 leaves, one that sees a quarter of them (about 200) at most 2.
        var small = new Dictionary<string, double> { ["minimumExampleCountPerLeaf"] = 100, ["numberOfLeaves"] = 64, ["numberOfTrees"] = 20 };
        var whole = Train(spec with { Trainer = spec.Trainer with { Hyperparameters = small } }, Sample("classification.csv"));
        var quarter = Train(spec with { Trainer = spec.Trainer with { Hyperparameters = new(small) { ["rowFraction"] = 0.25 } } }, Sample("classification.csv"));
        Assert.Contains(Trees(whole), t => t.NumberOfLeaves > 2);
        Assert.All(Trees(quarter), t => Assert.True(t.NumberOfLeaves <= 2, $"{trainer}: a tree of {t.NumberOfLeaves} leaves from a quarter of 800 rows"));
    }

    [Fact]
    public void DerivedFeaturesAreComputedInsideTheOnnxGraphFromTheRawColumns()
    {
        // The label is whether a / b > 1: one split on the ratio, a staircase of splits without it.
        var random = new Random(3);
        var csv = new StringBuilder("a,b,noise,label\n");
        for (var i = 0; i < 3000; i++)
        {
            double a = 0.1 + random.NextDouble() * 10, b = 0.1 + random.NextDouble() * 10;
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{random.NextDouble():F4},{(a / b > 1 ? "over" : "under")}\n"));
        }
        var plain = new PipelineSpec { Trainer = new TrainerSpec { Hyperparameters = new() { ["numberOfTrees"] = 20 } } };
        var derived = plain with
        {
            Features = new FeatureSpec
            {
                Derived = [new DerivedFeature { Name = "a_per_b", Op = "ratio", Of = ["a", "b"] }, new DerivedFeature { Name = "a_minus_b", Op = "difference", Of = ["a", "b"] }],
            },
        };
        var without = Train(plain, csv.ToString());
        var with = Train(derived, csv.ToString());
        Assert.True(with.Card.Metrics["accuracy"] > without.Card.Metrics["accuracy"], $"{with.Card.Metrics["accuracy"]} vs {without.Card.Metrics["accuracy"]}");
        Assert.True(with.Card.Metrics["accuracy"] >= 0.98, $"{with.Card.Metrics["accuracy"]}");

        // The graph takes the three raw columns; the two derived ones are its own nodes.
        Assert.Equal(["a", "b", "noise"], with.Card.Features);
        Assert.Equal(["a_per_b", "a_minus_b"], with.Card.Derived.Select(d => d.Name));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(with.Onnx);
        Assert.Equal(3, session.InputMetadata["Features"].Dimensions[1]);
        // Raw hold-out rows through ONNX Runtime give ML.NET's answers (it learned on raw + derived, computed in C#).
        Assert.InRange(with.Card.OnnxMaxDifference, 0, ModelTrainer.OnnxTolerance);
        using var scorer = new OnnxScorer(with.Onnx, with.Card);
        var holdout = CsvRows.Read(new MemoryStream(with.HoldoutCsv), with.Card, withTarget: false);
        var expected = Encoding.UTF8.GetString(with.PredictionsCsv).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]).ToList();
        Assert.Equal(expected, scorer.Score(holdout.Inputs).Select(p => p.Label));
    }

    [Fact]
    public void ADerivedFeatureOverATextOrMissingColumnFailsTheRun()
    {
        var spec = CategoricalSpec with { Features = CategoricalSpec.Features with { Derived = [new DerivedFeature { Name = "x", Op = "sum", Of = ["size", "colour"] }] } };
        var e = Assert.Throws<TrainingException>(() => Train(spec, CategoricalCsv()));
        Assert.Contains("'colour', which is not a numeric feature", e.Message);
        var clash = CategoricalSpec with { Features = CategoricalSpec.Features with { Derived = [new DerivedFeature { Name = "size", Op = "sum", Of = ["size", "size"] }] } };
        Assert.Contains("name of a dataset column", Assert.Throws<TrainingException>(() => Train(clash, CategoricalCsv())).Message);
    }

    [Fact]
    public void CategoricalImputedAndHashedFeaturesAreInsideTheOnnxGraph()
    {
        var model = Train(CategoricalSpec, CategoricalCsv());
        Assert.Equal(["size"], model.Card.Features);
        Assert.Equal(["colour"], model.Card.Categorical);
        Assert.Equal(["zip"], model.Card.HashedText);
        Assert.Equal(["size"], model.Card.Imputed);
        Assert.True(model.Card.Metrics["accuracy"] > 0.85, $"accuracy {model.Card.Metrics["accuracy"]}");

        // Raw rows (text, and an empty size) go straight into the ONNX graph and score as ML.NET did at training time.
        using var scorer = new OnnxScorer(model.Onnx, model.Card);
        var holdout = CsvRows.Read(new MemoryStream(model.HoldoutCsv), model.Card, withTarget: true);
        Assert.Contains(holdout.Inputs.Numeric, float.IsNaN);
        var served = scorer.Score(holdout.Inputs);
        var trainingTime = File.ReadAllLines(WriteTemp(model.PredictionsCsv)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(trainingTime.Count, served.Length);
        for (var i = 0; i < served.Length; i++)
        {
            Assert.Equal(trainingTime[i][0], served[i].Label);
            Assert.Equal(double.Parse(trainingTime[i][2], CultureInfo.InvariantCulture), served[i].Probabilities[1], 1e-5);
        }
        // An unseen colour is not an error: it encodes as all zeros, exactly as in ML.NET.
        Assert.Single(scorer.Score(new ModelInputs(1, [5f], ["purple"], ["z999"])));
    }

    /// <summary>
    /// docs/spec.md's impute modes, each through the ONNX graph: an empty cell scores exactly as the training rows' statistic
    /// of that column (the hold-out excluded) and unlike the value any other mode would have filled in. The linear trainer
    /// answers every value differently, and sizes are moved to 20–30 so that zero, minimum, mean and maximum all differ.
    /// </summary>
    [Theory]
    [InlineData("minimum")]
    [InlineData("maximum")]
    [InlineData("zero")]
    [InlineData("mean")]
    [InlineData("median")]
    public void AnEmptyCellIsScoredAsItsImputeModesStatisticOfTheTrainingRows(string mode)
    {
        var lines = CategoricalCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var csv = string.Join('\n', lines.Select((l, i) => i == 0 ? l : Shift(l))) + "\n";
        static string Shift(string line)
        {
            var f = line.Split(',');
            if (f[1] != "") f[1] = (double.Parse(f[1], CultureInfo.InvariantCulture) + 20).ToString("F3", CultureInfo.InvariantCulture);
            return string.Join(',', f);
        }
        var spec = new PipelineSpec
        {
            Trainer = new TrainerSpec { Name = "Linear" },
            Features = new FeatureSpec { Categorical = ["colour"], Hashed = ["zip"], HashBits = 6, Impute = new() { ["size"] = mode } },
        };
        var model = Train(spec, csv);
        Assert.Equal(["size"], model.Card.Imputed);

        // The hold-out is written numeric columns first (size, colour, zip, label); the dataset has colour first.
        static string Key(string colour, string size, string zip) => $"{colour}|{(float.TryParse(size, CultureInfo.InvariantCulture, out var v) ? v : float.NaN)}|{zip}";
        var heldOut = HoldoutLines(model).Select(l => l.Split(',')).Select(f => Key(f[1], f[0], f[2])).ToList(); // rows with an empty size may repeat
        var training = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..].Where(l => l.Split(',') is var f && !heldOut.Remove(Key(f[0], f[1], f[2]))).ToList();
        Assert.Equal(model.Card.TrainRows, training.Count);
        var sizes = training.Select(l => l.Split(',')[1]).Where(t => t != "").Select(t => float.Parse(t, CultureInfo.InvariantCulture)).ToList();
        var sorted = sizes.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (float)((sorted[sorted.Count / 2 - 1] + (double)sorted[sorted.Count / 2]) / 2);
        var statistic = new Dictionary<string, float> { ["minimum"] = sizes.Min(), ["maximum"] = sizes.Max(), ["zero"] = 0, ["mean"] = (float)sizes.Average(v => (double)v), ["median"] = median };

        Assert.Equal(statistic[mode], (float)model.Card.ImputeValues!["size"]); // the card says what an empty cell becomes
        using var scorer = new OnnxScorer(model.Onnx, model.Card);
        double Probability(float size) => scorer.Score(new ModelInputs(1, [size], ["red"], ["z1"]))[0].Probabilities[1];
        var empty = Probability(float.NaN);
        Assert.Equal(Probability(statistic[mode]), empty, 1e-6);
        foreach (var other in statistic.Where(s => s.Key != mode))
            Assert.True(Math.Abs(Probability(other.Value) - empty) > 1e-4, $"{mode}: an empty cell scores as {other.Key} ({other.Value}) would");
    }

    /// <summary>
    /// Each imputed column has its own mode (issue 15): the maximum for one, the minimum for another, in one model; each
    /// empty cell scores as its own column's statistic, and a column that is not imputed is not touched.
    /// </summary>
    [Fact]
    public void EachImputedColumnHasItsOwnMode()
    {
        var random = new Random(4);
        var csv = new StringBuilder("a,b,c,y\n");
        for (var i = 0; i < 800; i++)
        {
            double a = random.NextDouble() * 10, b = random.NextDouble() * 10, c = random.NextDouble() * 10;
            var y = (2 * a - b + 0.5 * c + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture);
            csv.Append(CultureInfo.InvariantCulture, $"{(i % 10 == 0 ? "" : a.ToString("F3", CultureInfo.InvariantCulture))},{(i % 7 == 0 ? "" : b.ToString("F3", CultureInfo.InvariantCulture))},{c:F3},{y}\n");
        }
        var spec = new PipelineSpec { Task = ModelTask.Regression, Trainer = new TrainerSpec { Name = "Linear" }, Features = new FeatureSpec { Impute = new() { ["a"] = "maximum", ["b"] = "minimum" } } };
        var model = Train(spec, csv.ToString());
        var fills = model.Card.ImputeValues!;
        Assert.Equal(["a", "b"], fills.Keys.Order());
        Assert.InRange(fills["a"], 9.9, 10);
        Assert.InRange(fills["b"], 0, 0.1);
        using var scorer = new OnnxScorer(model.Onnx, model.Card);
        float Value(float a, float b) => scorer.Score(new ModelInputs(1, [a, b, 5f], [], []))[0].Value!.Value;
        Assert.Equal(Value((float)fills["a"], 3), Value(float.NaN, 3), 4);
        Assert.Equal(Value(4, (float)fills["b"]), Value(4, float.NaN), 4);
        Assert.NotEqual(Value(4, (float)fills["a"]), Value(4, float.NaN), 2); // b's empty cell is not filled with a's value
    }

    /// <summary>
    /// features.missingIndicators: when an empty cell itself means something (here: a reading the sensor skipped is a fault),
    /// the indicator lets the model learn it, which the filled-in median alone cannot; the graph computes the indicator from
    /// the raw empty cell, so serving sends it as null and the answers match training.
    /// </summary>
    [Fact]
    public void AMissingIndicatorLetsTheModelLearnFromTheGapItself()
    {
        var random = new Random(12);
        var csv = new StringBuilder("reading,load,fault\n");
        for (var i = 0; i < 3000; i++)
        {
            var skipped = random.Next(5) == 0;
            var reading = random.Next(11); // whole readings: the median filled in is also a common genuine reading
            var load = random.NextDouble();
            var fault = skipped || reading >= 9 ? "yes" : "no";
            csv.Append(CultureInfo.InvariantCulture, $"{(skipped ? "" : reading.ToString(CultureInfo.InvariantCulture))},{load:F3},{fault}\n");
        }
        var spec = new PipelineSpec { Features = new FeatureSpec { Impute = new() { ["reading"] = "median" } } };
        var plain = Train(spec, csv.ToString());
        var flagged = Train(spec with { Features = spec.Features with { MissingIndicators = true } }, csv.ToString());
        Assert.True(flagged.Card.Metrics["accuracy"] > 0.98, $"with indicators: {flagged.Card.Metrics["accuracy"]}");
        Assert.True(plain.Card.Metrics["accuracy"] < 0.95, $"without: {plain.Card.Metrics["accuracy"]}");
        Assert.InRange(flagged.Card.OnnxMaxDifference, 0, ModelTrainer.OnnxTolerance);
        using var scorer = new OnnxScorer(flagged.Onnx, flagged.Card);
        Assert.Equal("yes", scorer.Score(new ModelInputs(1, [float.NaN, 0.5f], [], []))[0].Label); // an empty reading is a fault
        Assert.Equal("no", scorer.Score(new ModelInputs(1, [(float)flagged.Card.ImputeValues!["reading"], 0.5f], [], []))[0].Label); // its median is not
    }

    /// <summary>
    /// normalize: minMax puts an affine scaler inside the model whose output spans the training rows' range: every training
    /// value of every feature lands in [-1, 1] (ML.NET keeps zero at zero, so a feature with negative values spans [-1, 1]
    /// and a non-negative one [0, 1]) and each feature's largest magnitude reaches 1; without it the model has no scaler.
    /// </summary>
    [Fact]
    public void NormalizeMinMaxScalesEachFeatureOverTheTrainingRowsRange()
    {
        var spec = new PipelineSpec { Target = "target", Features = new FeatureSpec { Normalize = "minMax" } };
        var csv = Sample("classification.csv");
        var model = Train(spec, csv);
        var parameters = Normalizers(model);
        var affine = Assert.IsType<Microsoft.ML.Transforms.NormalizingTransformer.AffineNormalizerModelParameters<System.Collections.Immutable.ImmutableArray<float>>>(Assert.Single(parameters));
        var heldOut = HoldoutLines(model);
        var training = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..].Select(l => l.TrimEnd('\r'))
            .Where(l => !heldOut.Any(h => SameRow(l, h))).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(model.Card.TrainRows, training.Count);
        for (var j = 0; j < 10; j++)
        {
            var offset = affine.Offset.IsDefaultOrEmpty ? 0 : affine.Offset[j];
            var scaled = training.Select(r => (r[j] - offset) * affine.Scale[j]).ToList();
            Assert.All(scaled, v => Assert.InRange(v, -1 - 1e-5, 1 + 1e-5));
            Assert.Equal(1, scaled.Max(Math.Abs), 1e-5);
        }
        Assert.Empty(Normalizers(Train(spec with { Features = new FeatureSpec { Normalize = "none" } }, csv)));
    }

    static List<object> Normalizers(TrainedModel model)
    {
        static IEnumerable<Microsoft.ML.ITransformer> Flat(Microsoft.ML.ITransformer t) =>
            t is IEnumerable<Microsoft.ML.ITransformer> inner ? inner.SelectMany(Flat) : [t];
        return Flat(new Microsoft.ML.MLContext().Model.Load(new MemoryStream(model.ModelZip), out _))
            .OfType<Microsoft.ML.Transforms.NormalizingTransformer>().Select(n => (object)n.GetNormalizerModelParameters(0)).ToList();
    }

    /// <summary>
    /// make_friedman2's shape (targets up to ~1,700, noise 50): float32 sums of leaves in the hundreds answer a small target
    /// with a rounding error far above 1e-5 of that target, though tiny against the targets' scale. Training and staging
    /// measure the difference against the largest value compared (OnnxAgreement), so the model trains and stages; a rule
    /// relative to each value refused it ("ONNX check failed … 3.06E-05", found by bench/train.sh's held-out set).
    /// </summary>
    [Fact]
    public void ARegressionWithTargetsInTheThousandsPassesTheOnnxCheck()
    {
        var random = new Random(404);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var csv = new StringBuilder("x1,x2,x3,x4,n1,n2,n3,n4,n5,n6,y\n");
        for (var i = 0; i < 120_000; i++)
        {
            double x1 = random.NextDouble() * 100, x2 = 40 * Math.PI + random.NextDouble() * 520 * Math.PI, x3 = random.NextDouble(), x4 = 1 + random.NextDouble() * 10;
            var y = Math.Sqrt(x1 * x1 + Math.Pow(x2 * x3 - 1 / (x2 * x4), 2)) + 50 * Normal();
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{x1:F6},{x2:F6},{x3:F6},{x4:F6},{Normal():F6},{Normal():F6},{Normal():F6},{Normal():F6},{Normal():F6},{Normal():F6},{y:F6}\n"));
        }
        var model = Train(new PipelineSpec { Task = ModelTask.Regression, Target = "y" }, csv.ToString());
        Assert.InRange(model.Card.OnnxMaxDifference, 0, ModelTrainer.OnnxTolerance);
        Assert.True(model.Card.Metrics["r2"] > 0.9, $"r2 {model.Card.Metrics["r2"]}");
        using var scorer = new OnnxScorer(model.Onnx, model.Card);
        var holdout = CsvRows.Read(new MemoryStream(model.HoldoutCsv), model.Card, withTarget: true);
        var served = scorer.Score(holdout.Inputs).Select(p => (double)p.Value!.Value).ToArray();
        var expected = File.ReadAllLines(WriteTemp(model.PredictionsCsv)).Skip(1).Select(l => double.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)).ToArray();
        var scale = OnnxAgreement.Scale(expected);
        Assert.All(served.Zip(expected), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, OnnxAgreement.Tolerance * scale));
    }

    /// <summary>
    /// task: auto reads the target (issue 15): text or few whole numbers are classes; any fraction, or more whole numbers than
    /// inference.maxClasses (20), is a quantity, trained as a regression (a disease-progression score is not 214 classes).
    /// </summary>
    [Theory]
    [InlineData("fraction", 20, "Regression")]
    [InlineData("many-integers", 20, "Regression")]
    [InlineData("five-integers", 20, "Multiclass")]
    [InlineData("five-integers", 4, "Regression")]
    [InlineData("two-integers", 20, "Binary")]
    [InlineData("text", 20, "Multiclass")]
    public void TaskAutoTellsAQuantityFromClasses(string target, int maxClasses, string task)
    {
        var random = new Random(8);
        var csv = new StringBuilder("a,b,y\n");
        for (var i = 0; i < 1000; i++)
        {
            double a = random.NextDouble() * 10, b = random.NextDouble() * 10;
            var value = a * 20 + b * 3;
            var y = target switch
            {
                "fraction" => (value / 10).ToString("F3", CultureInfo.InvariantCulture),
                "many-integers" => ((int)value).ToString(CultureInfo.InvariantCulture),
                "five-integers" => ((int)(a / 2)).ToString(CultureInfo.InvariantCulture),
                "two-integers" => (a > 5 ? 1 : 0).ToString(CultureInfo.InvariantCulture),
                _ => $"grade-{(int)(a / 2)}",
            };
            csv.Append(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{y}\n");
        }
        var model = Train(new PipelineSpec { Inference = new InferenceSpec { MaxClasses = maxClasses } }, csv.ToString());
        Assert.Equal(Enum.Parse<ModelTask>(task), model.Card.Task);
        if (model.Card.Task == ModelTask.Regression) Assert.True(model.Card.Metrics["r2"] > 0.8, $"r2 {model.Card.Metrics["r2"]}");
        else Assert.True(model.Card.Metrics["accuracy"] > 0.8, $"accuracy {model.Card.Metrics["accuracy"]}");
    }

    [Fact]
    public void MaxDepthBecomesAtMostTwoToTheDepthLeaves()
    {
        var spec = new PipelineSpec { Target = "target", Trainer = new TrainerSpec { Name = "FastForest", Hyperparameters = new() { ["numberOfTrees"] = 20, ["maxDepth"] = 2 } } };
        var stumpy = Train(spec, Sample("classification.csv"));
        var deep = Train(spec with { Trainer = spec.Trainer with { Hyperparameters = new() { ["numberOfTrees"] = 20, ["maxDepth"] = 8 } } }, Sample("classification.csv"));
        Assert.NotEqual(stumpy.Card.ModelSha256, deep.Card.ModelSha256);
        Assert.Equal(20, Trees(stumpy).Count);
        // ML.NET grows trees leaf by leaf with no depth limit (docs/training.md): maxDepth bounds the leaves, and a tree of four
        // leaves may still be three deep.
        Assert.All(Trees(stumpy), t => Assert.True(t.NumberOfLeaves <= 4, $"{t.NumberOfLeaves} leaves"));
        Assert.Contains(Trees(stumpy), t => t.NumberOfLeaves == 4);
        Assert.Contains(Trees(deep), t => t.NumberOfLeaves > 4); // the bound is what limits them, not the data
        Assert.All(Trees(deep), t => Assert.True(t.NumberOfLeaves <= 256, $"{t.NumberOfLeaves} leaves"));
    }

    [Fact]
    public void TheHoldOutIsExactlyTheTestShareOfRowsDrawnByTheSeed()
    {
        var csv = RegressionCsv(1001);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        var spec = new PipelineSpec { Trainer = new TrainerSpec { Name = "Linear", TestFraction = 0.25, Seed = 3 } };
        var first = Train(spec, csv);
        Assert.Equal(250, first.Card.TestRows); // round(1001 × 0.25), not a share that varies with the draw
        Assert.Equal(751, first.Card.TrainRows);
        var holdout = HoldoutLines(first);
        Assert.Equal(250, holdout.Length);
        Assert.Equal(250, holdout.Distinct().Count());
        // Dataset rows, in the dataset's order (the values are written back as read; y has 4 decimals in both).
        var position = holdout.Select(h => Array.FindIndex(lines, l => SameRow(l, h))).ToArray();
        Assert.DoesNotContain(-1, position);
        Assert.Equal(position.Order(), position);
        Assert.Equal(holdout, HoldoutLines(Train(spec, csv)));
        var reseeded = HoldoutLines(Train(spec with { Trainer = spec.Trainer with { Seed = 4 } }, csv));
        Assert.Equal(250, reseeded.Length);
        Assert.NotEqual(holdout, reseeded); // another seed draws other rows
    }

    /// <summary>
    /// A dataset that grows (the data plus labelled production rows) holds out nearly the same old rows: a retrain's hold-out
    /// is not the champion's training data, so the gate compares them on rows neither learned from. A split drawn by position
    /// put about four fifths of the new hold-out's old rows in the first model's training set.
    /// </summary>
    [Fact]
    public void AGrownDatasetHoldsOutTheSameOldRows()
    {
        var spec = new PipelineSpec { Trainer = new TrainerSpec { Name = "Linear" } };
        var original = RegressionCsv(1000, seed: 5);
        var grown = original + string.Concat(RegressionCsv(300, seed: 6).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l + "\n"));
        static string Key(string line) => string.Join("|", line.Split(',').Select(v => ((float)double.Parse(v, CultureInfo.InvariantCulture)).ToString("R", CultureInfo.InvariantCulture)));
        var old = original.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(Key).ToHashSet();
        var first = HoldoutLines(Train(spec, original)).Select(Key).ToHashSet();
        var second = HoldoutLines(Train(spec, grown)).Select(Key).ToList();
        Assert.Equal(260, second.Count);
        var secondOld = second.Where(old.Contains).ToList();
        var leaked = secondOld.Where(k => !first.Contains(k)).ToList();
        Assert.InRange(secondOld.Count, 150, 250);
        Assert.True(leaked.Count <= 0.05 * secondOld.Count, $"{leaked.Count} of the {secondOld.Count} old rows held out now were training rows of the first model");
    }

    static string[] HoldoutLines(TrainedModel model) =>
        Encoding.UTF8.GetString(model.HoldoutCsv).Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..].Select(l => l.TrimEnd('\r')).ToArray();

    static bool SameRow(string dataset, string holdout) =>
        dataset.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).SequenceEqual(
            holdout.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)), new FloatEquality());

    sealed class FloatEquality : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => (float)a == (float)b;
        public int GetHashCode(double x) => ((float)x).GetHashCode();
    }

    /// <summary>A binary label decided by two of three numeric columns, with 5% of labels flipped.</summary>
    static string BinaryCsv(int rows, int seed = 5)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("a,b,c,label\n");
        for (var i = 0; i < rows; i++)
        {
            double a = random.NextDouble(), b = random.NextDouble(), c = random.NextDouble();
            var label = (a * a + b > 0.8) ^ (random.Next(20) == 0);
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{c:F4},{(label ? "yes" : "no")}\n"));
        }
        return csv.ToString();
    }

    [Fact]
    public void BoostingOnLargeDataDefaultsToFiftyTreesOfSixtyThreeLeavesAndTheCardSaysWhatRan()
    {
        // 125,000 rows hold out 25,000: 100,000 training rows, where the large-data defaults begin.
        var large = Train(new PipelineSpec(), BinaryCsv(125_000));
        Assert.Equal(100_000, large.Card.TrainRows);
        var ran = large.Card.Hyperparameters!;
        Assert.Equal((50, 63, 0.2), ((int)ran["numberOfTrees"], (int)ran["numberOfLeaves"], ran["learningRate"]));
        var trees = Trees(large);
        Assert.Equal(50, trees.Count);
        Assert.Contains(trees, t => t.NumberOfLeaves > 31);
        Assert.All(trees, t => Assert.True(t.NumberOfLeaves <= 63));
        Assert.True(large.Card.Metrics["accuracy"] > 0.9, $"accuracy {large.Card.Metrics["accuracy"]}");

        // The boundary itself: 99,999 training rows are small data, 100,000 large, for both boosting trainers; a forest has no such switch.
        foreach (var trainer in new[] { "LightGbm", "FastTree" })
        {
            var spec = new TrainerSpec { Name = trainer };
            Assert.Equal((100.0, 31.0, 0.1), (TrainerCatalog.Value(spec, "numberOfTrees", 99_999), TrainerCatalog.Value(spec, "numberOfLeaves", 99_999), TrainerCatalog.Value(spec, "learningRate", 99_999)));
            Assert.Equal((50.0, 63.0, 0.2), (TrainerCatalog.Value(spec, "numberOfTrees", 100_000), TrainerCatalog.Value(spec, "numberOfLeaves", 100_000), TrainerCatalog.Value(spec, "learningRate", 100_000)));
        }
        Assert.Equal(100.0, TrainerCatalog.Value(new TrainerSpec { Name = "FastForest" }, "numberOfTrees", 100_000));

        // Below 100,000 training rows: HistGradientBoosting's 100 trees of 31 leaves at 0.1.
        var small = Train(new PipelineSpec(), BinaryCsv(5_000));
        Assert.Equal((100, 31, 0.1), ((int)small.Card.Hyperparameters!["numberOfTrees"], (int)small.Card.Hyperparameters["numberOfLeaves"], small.Card.Hyperparameters["learningRate"]));
        Assert.Equal(100, Trees(small).Count);

        // What the spec names wins at any size; what it leaves out keeps the large-data default.
        var named = Train(new PipelineSpec { Trainer = new TrainerSpec { Hyperparameters = new() { ["numberOfTrees"] = 20, ["numberOfLeaves"] = 8 } } }, BinaryCsv(125_000));
        Assert.Equal((20, 8, 0.2), ((int)named.Card.Hyperparameters!["numberOfTrees"], (int)named.Card.Hyperparameters["numberOfLeaves"], named.Card.Hyperparameters["learningRate"]));
        Assert.Equal(20, Trees(named).Count);
        Assert.All(Trees(named), t => Assert.True(t.NumberOfLeaves <= 8));
    }

    /// <summary>The trees of a trained tree model (LightGbm, FastTree, FastForest; calibrated or not), read back from its ML.NET file.</summary>
    static IReadOnlyList<Microsoft.ML.Trainers.FastTree.RegressionTreeBase> Trees(TrainedModel model)
    {
        var ml = new Microsoft.ML.MLContext();
        var chain = (Microsoft.ML.Data.TransformerChain<Microsoft.ML.ITransformer>)ml.Model.Load(new MemoryStream(model.ModelZip), out _);
        static IEnumerable<object> Inside(object? o) => o is null ? [] : o.GetType().GetProperties()
            .Where(p => p.Name is "Model" or "SubModel" && p.GetIndexParameters().Length == 0).Select(p => p.GetValue(o)).OfType<object>();
        static IEnumerable<Microsoft.ML.ITransformer> Flat(Microsoft.ML.ITransformer t) =>
            t is IEnumerable<Microsoft.ML.ITransformer> inner ? inner.SelectMany(Flat) : [t];
        var seen = new List<string>();
        foreach (var transformer in Flat(chain))
            foreach (var parameters in Inside(transformer).Concat(Inside(transformer).SelectMany(Inside)))
            {
                seen.Add(parameters.GetType().Name);
                switch (parameters)
                {
                    case Microsoft.ML.Trainers.FastTree.TreeEnsembleModelParametersBasedOnRegressionTree boosted: return [.. boosted.TrainedTreeEnsemble.Trees];
                    case Microsoft.ML.Trainers.FastTree.TreeEnsembleModelParametersBasedOnQuantileRegressionTree forest: return [.. forest.TrainedTreeEnsemble.Trees];
                }
            }
        throw new InvalidOperationException($"The model holds no tree ensemble: {string.Join(", ", chain.Select(t => t.GetType().Name))}; {string.Join(", ", seen)}");
    }

    [Fact]
    public void ARegressionSpecOnACategoricalTargetFailsWithTheReason()
    {
        var e = Assert.Throws<TrainingException>(() => Train(CategoricalSpec with { Task = ModelTask.Regression, Target = "label" }, CategoricalCsv(), "label"));
        Assert.Contains("not numeric", e.Message);
    }

    [Fact]
    public void TooFewRowsForTheSplitFailWithTheReason() =>
        Assert.Contains("too few", Assert.Throws<TrainingException>(() => Train(new PipelineSpec(), RegressionCsv(20) )).Message);

    [Fact]
    public void ASingleClassTargetFails() =>
        Assert.Contains("1 class", Assert.Throws<TrainingException>(() => Train(new PipelineSpec(), "a,b\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"{i},x\n")))).Message);

    static string WriteTemp(byte[] bytes)
    {
        var path = Path.Combine(TestInfra.TempDirectory(), "predictions.csv");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
