using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// The spec's trainer as an ML.NET estimator for the task. Hyperparameters (defaults close to scikit-learn's
/// HistGradientBoosting: 100 trees, 31 leaves, rate 0.1, 20 rows per leaf):
/// numberOfTrees (scikit-learn's n_estimators), numberOfLeaves, maxDepth, learningRate, minimumExampleCountPerLeaf,
/// maximumNumberOfIterations (Linear), threads (LightGbm's cores, default all: it trains deterministically, column-wise, so the
/// trees are the same on any count, and the model hash leaves the count out), rowFraction (rows per tree; FastForest 0.4 from 100,000 training rows and 0.7 below, others 1), maxBins
/// (FastForest 63, others 255). ML.NET's trees grow leaf by leaf, not level by level, and have no depth limit, so
/// <c>maxDepth</c> d is mapped to at most 2^d leaves: the leaf count of a full tree of depth d. The trees then have no
/// more leaves than scikit-learn's, but one branch may go deeper than d while others stay shallower.
/// </summary>
public static class Trainers
{
    public static IEstimator<ITransformer> Create(MLContext ml, TrainerSpec spec, ModelTask task, string features, int trainRows)
    {
        var h = new Hyper(spec.Hyperparameters, trainRows);
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
            BaggingExampleFraction = h.RowFraction(forest: true), MaximumBinCountPerFeature = h.MaxBins(forest: true),
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
                BaggingExampleFraction = h.RowFraction(forest: true), MaximumBinCountPerFeature = h.MaxBins(forest: true),
            }),
            (ModelTask.Regression, "Linear") => ml.Regression.Trainers.Sdca(label, features, maximumNumberOfIterations: h.Iterations),
            _ => throw new TrainingException($"Unknown trainer '{spec.Name}'. Use one of: {string.Join(", ", TrainerSpec.Names)}."),
        };
    }

    /// <summary>
    /// Platt scaling fits two numbers; 100,000 rows pin them down, and scoring every training row through a forest to fit
    /// them took a quarter of FastForest's training time on a million rows.
    /// </summary>
    public const int CalibrationRows = 100_000;

    /// <summary>Whether the trainer's binary score must be Platt-scaled into a probability after fitting (FastForest: a vote share).</summary>
    public static bool NeedsCalibration(TrainerSpec spec, ModelTask task) => task == ModelTask.Binary && spec.Name == "FastForest";

    sealed class Hyper(IReadOnlyDictionary<string, double> values, int trainRows)
    {
        public int Trees => Int("numberOfTrees", 100);
        public int Leaves => values.ContainsKey("numberOfLeaves") ? Int("numberOfLeaves", 31)
            : values.ContainsKey("maxDepth") ? (int)Math.Min(1 << Math.Min(Int("maxDepth", 5), 20), 131072) : 31;
        public double LearningRate => values.GetValueOrDefault("learningRate", 0.1);
        public int MinPerLeaf => Int("minimumExampleCountPerLeaf", 20);
        public int Iterations => Int("maximumNumberOfIterations", 100);
        public int Threads => Int("threads", Environment.ProcessorCount);

        /// <summary>
        /// The share of rows each tree learns from (bagging, which decorrelates a forest's trees). FastForest: 0.4 from 100,000
        /// training rows (as accurate as ML.NET's 0.7 on the benchmark's million rows, and faster; scikit-learn's bootstrap
        /// draws ~63% distinct rows), 0.7 below (smaller trees hurt small data); boosting: 1, every row.
        /// </summary>
        public double RowFraction(bool forest = false) =>
            values.GetValueOrDefault("rowFraction", !forest ? 1.0 : trainRows >= LargeData ? 0.4 : 0.7);

        const int LargeData = 100_000;

        /// <summary>Histogram bins per feature: FastForest 63 (averaged deep trees need fewer thresholds), boosting 255 (as LightGBM and HistGradientBoosting).</summary>
        public int MaxBins(bool forest = false) => Int("maxBins", forest ? 63 : 255);

        public GradientBooster.Options GbmBooster() => RowFraction() < 1
            ? new GradientBooster.Options { SubsampleFraction = RowFraction(), SubsampleFrequency = 1 }
            : new GradientBooster.Options();

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? checked((int)Math.Round(v)) : fallback;
    }
}
