using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// The spec's trainer as an ML.NET estimator for the task. The trainers, their hyperparameters, bounds and defaults are
/// <see cref="TrainerCatalog"/>'s (Contracts/Pipelines/TrainerSpec.cs); this class only maps each to ML.NET's options.
/// </summary>
public static class Trainers
{
    public static IEstimator<ITransformer> Create(MLContext ml, TrainerSpec spec, ModelTask task, string features, int trainRows)
    {
        var h = new Hyper(spec, trainRows);
        var label = task switch { ModelTask.Binary => "Positive", ModelTask.Regression => "Value", _ => "LabelKey" };
        // LightGbm runs deterministic and column-wise (each feature's histogram summed by one thread, in row order), so its trees
        // do not depend on the thread count: `threads` only limits the cores it uses (default: all of them).
        LightGbmBinaryTrainer.Options BinaryGbm() => new()
        {
            LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
            MaximumBinCountPerFeature = h.MaxBins(), Booster = h.GbmBooster(), Deterministic = true, ForceColumnWise = true,
        };
        FastTreeBinaryTrainer.Options BinaryTree() => new()
        {
            // One-versus-all trains each class's binary tree on the multiclass key column, named as its own label.
            LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, MaximumBinCountPerFeature = h.MaxBins(),
            BaggingSize = h.RowFraction() < 1 ? 1 : 0, BaggingExampleFraction = h.RowFraction(),
        };
        FastForestBinaryTrainer.Options BinaryForest() => new()
        {
            LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
            MinimumExampleCountPerLeaf = h.MinPerLeaf,
            BaggingExampleFraction = h.RowFraction(), MaximumBinCountPerFeature = h.MaxBins(),
        };
        return (task, spec.Name) switch
        {
            (ModelTask.Binary, "LightGbm") => ml.BinaryClassification.Trainers.LightGbm(BinaryGbm()),
            (ModelTask.Binary, "FastTree") => ml.BinaryClassification.Trainers.FastTree(BinaryTree()),
            // A forest's score is a vote share, not a probability: ModelTrainer Platt-scales it (NeedsCalibration).
            (ModelTask.Binary, "FastForest") => ml.BinaryClassification.Trainers.FastForest(BinaryForest()),
            (ModelTask.Binary, "Linear") => ml.BinaryClassification.Trainers.SdcaLogisticRegression(label, features, maximumNumberOfIterations: h.Iterations),

            (ModelTask.Multiclass, "LightGbm") => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
            MaximumBinCountPerFeature = h.MaxBins(), Booster = h.GbmBooster(), Deterministic = true, ForceColumnWise = true,
            }),
            (ModelTask.Multiclass, "FastTree") => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(BinaryTree()), label, maximumCalibrationExampleCount: CalibrationRows),
            (ModelTask.Multiclass, "FastForest") => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastForest(BinaryForest()), label, maximumCalibrationExampleCount: CalibrationRows),
            (ModelTask.Multiclass, "Linear") => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(label, features, maximumNumberOfIterations: h.Iterations),

            (ModelTask.Regression, "LightGbm") => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
            MaximumBinCountPerFeature = h.MaxBins(), Booster = h.GbmBooster(), Deterministic = true, ForceColumnWise = true,
            }),
            (ModelTask.Regression, "FastTree") => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, MaximumBinCountPerFeature = h.MaxBins(),
                BaggingSize = h.RowFraction() < 1 ? 1 : 0, BaggingExampleFraction = h.RowFraction(),
            }),
            (ModelTask.Regression, "FastForest") => ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
                MinimumExampleCountPerLeaf = h.MinPerLeaf,
                BaggingExampleFraction = h.RowFraction(), MaximumBinCountPerFeature = h.MaxBins(),
            }),
            (ModelTask.Regression, "Linear") => ml.Regression.Trainers.Sdca(label, features, maximumNumberOfIterations: h.Iterations),
            _ => throw new TrainingException($"Unknown trainer '{spec.Name}'. Use one of: {string.Join(", ", TrainerCatalog.Names)}."),
        };
    }

    /// <summary>
    /// Platt scaling fits two numbers; 100,000 rows pin them down, and scoring every training row through a forest to fit
    /// them took a quarter of FastForest's training time on a million rows.
    /// </summary>
    public const int CalibrationRows = 100_000;

    /// <summary>Whether the trainer's binary score must be Platt-scaled into a probability after fitting (FastForest: a vote share).</summary>
    public static bool NeedsCalibration(TrainerSpec spec, ModelTask task) => task == ModelTask.Binary && spec.Name == "FastForest";

    /// <summary>The values a trainer runs with, typed for ML.NET's options: <see cref="TrainerCatalog.Value"/>.</summary>
    sealed class Hyper(TrainerSpec spec, int trainRows)
    {
        public int Trees => Int("numberOfTrees");
        public int Leaves => Int("numberOfLeaves");
        public double LearningRate => TrainerCatalog.Value(spec, "learningRate", trainRows);
        public int MinPerLeaf => Int("minimumExampleCountPerLeaf");
        public int Iterations => Int("maximumNumberOfIterations");
        public int Threads => Int("threads");
        public double RowFraction() => TrainerCatalog.Value(spec, "rowFraction", trainRows);
        public int MaxBins() => Int("maxBins");

        public GradientBooster.Options GbmBooster() => RowFraction() < 1
            ? new GradientBooster.Options { SubsampleFraction = RowFraction(), SubsampleFrequency = 1 }
            : new GradientBooster.Options();

        int Int(string name) => checked((int)Math.Round(TrainerCatalog.Value(spec, name, trainRows)));
    }
}
