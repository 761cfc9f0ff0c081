using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// The spec's trainer as an ML.NET estimator for the task. Hyperparameters: numberOfTrees (scikit-learn's n_estimators),
/// numberOfLeaves, maxDepth, learningRate, minimumExampleCountPerLeaf (20), maximumNumberOfIterations (Linear), threads
/// (LightGbm's cores, default all: it trains deterministically, column-wise, so the trees are the same on any count, and the
/// model hash leaves the count out), rowFraction (rows per tree; FastForest 0.4 from 100,000 training rows and 0.7 below,
/// others 1), maxBins (FastForest 63, others 255). Trees, leaves and rate default to scikit-learn's HistGradientBoosting
/// (100 trees of 31 leaves at rate 0.1), except for boosting on large data (see <see cref="Hyper.LargeBoosting"/>).
/// ML.NET's trees grow leaf by leaf, not level by level, and have no depth limit, so <c>maxDepth</c> d is mapped to at most
/// 2^d leaves: the leaf count of a full tree of depth d. The trees then have no more leaves than scikit-learn's, but one
/// branch may go deeper than d while others stay shallower.
/// </summary>
public static class Trainers
{
    public static IEstimator<ITransformer> Create(MLContext ml, TrainerSpec spec, ModelTask task, string features, int trainRows)
    {
        var h = new Hyper(spec.Name, spec.Hyperparameters, trainRows);
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
            _ => throw new TrainingException($"Unknown trainer '{spec.Name}'. Use one of: {string.Join(", ", TrainerSpec.Names)}."),
        };
    }

    /// <summary>The hyperparameters the trainer runs with on this many training rows: the spec's, and the defaults for the rest (kept in the model card).</summary>
    public static IReadOnlyDictionary<string, double> Effective(TrainerSpec spec, int trainRows)
    {
        var h = new Hyper(spec.Name, spec.Hyperparameters, trainRows);
        if (spec.Name == "Linear") return new SortedDictionary<string, double> { ["maximumNumberOfIterations"] = h.Iterations };
        var values = new SortedDictionary<string, double>
        {
            ["numberOfTrees"] = h.Trees, ["numberOfLeaves"] = h.Leaves, ["minimumExampleCountPerLeaf"] = h.MinPerLeaf,
            ["rowFraction"] = h.RowFraction(), ["maxBins"] = h.MaxBins(),
        };
        if (!h.Forest) values["learningRate"] = h.LearningRate;
        if (spec.Name == "LightGbm") values["threads"] = h.Threads;
        return values;
    }

    /// <summary>
    /// Platt scaling fits two numbers; 100,000 rows pin them down, and scoring every training row through a forest to fit
    /// them took a quarter of FastForest's training time on a million rows.
    /// </summary>
    public const int CalibrationRows = 100_000;

    /// <summary>Whether the trainer's binary score must be Platt-scaled into a probability after fitting (FastForest: a vote share).</summary>
    public static bool NeedsCalibration(TrainerSpec spec, ModelTask task) => task == ModelTask.Binary && spec.Name == "FastForest";

    /// <summary>The values a trainer runs with: the spec's, else the defaults for this trainer and this many training rows.</summary>
    sealed class Hyper(string trainer, IReadOnlyDictionary<string, double> values, int trainRows)
    {
        public bool Forest => trainer == "FastForest";

        /// <summary>
        /// Boosting (LightGbm, FastTree) on 100,000 training rows or more defaults to 50 trees of 63 leaves at rate 0.2 instead
        /// of 100 of 31 at 0.1: large data supports larger trees, and half as many of them scored better than the smaller
        /// setting on four of five million-row datasets, in about 70% of its time (BENCHMARKS.md, "Training defaults"; the
        /// exception, a smooth regression, lost 0.13 points of r²). Each value the spec names is used as it is.
        /// </summary>
        public bool LargeBoosting => trainer is "LightGbm" or "FastTree" && trainRows >= LargeData;

        public int Trees => Int("numberOfTrees", LargeBoosting ? 50 : 100);
        public int Leaves => values.ContainsKey("numberOfLeaves") ? Int("numberOfLeaves", 31)
            : values.ContainsKey("maxDepth") ? (int)Math.Min(1 << Math.Min(Int("maxDepth", 5), 20), 131072) : LargeBoosting ? 63 : 31;
        public double LearningRate => values.GetValueOrDefault("learningRate", LargeBoosting ? 0.2 : 0.1);
        public int MinPerLeaf => Int("minimumExampleCountPerLeaf", 20);
        public int Iterations => Int("maximumNumberOfIterations", 100);
        public int Threads => Int("threads", Environment.ProcessorCount);

        /// <summary>
        /// The share of rows each tree learns from (bagging, which decorrelates a forest's trees). FastForest: 0.4 from 100,000
        /// training rows (as accurate as ML.NET's 0.7 on the benchmark's million rows, and faster; scikit-learn's bootstrap
        /// draws ~63% distinct rows), 0.7 below (smaller trees hurt small data); boosting: 1, every row.
        /// </summary>
        public double RowFraction() =>
            values.GetValueOrDefault("rowFraction", !Forest ? 1.0 : trainRows >= LargeData ? 0.4 : 0.7);

        const int LargeData = 100_000;

        /// <summary>Histogram bins per feature: FastForest 63 (averaged deep trees need fewer thresholds), boosting 255 (as LightGBM and HistGradientBoosting).</summary>
        public int MaxBins() => Int("maxBins", Forest ? 63 : 255);

        public GradientBooster.Options GbmBooster() => RowFraction() < 1
            ? new GradientBooster.Options { SubsampleFraction = RowFraction(), SubsampleFrequency = 1 }
            : new GradientBooster.Options();

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? checked((int)Math.Round(v)) : fallback;
    }
}
