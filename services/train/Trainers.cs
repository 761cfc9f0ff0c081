using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// The spec's trainer as an ML.NET estimator for the task. Hyperparameters (defaults close to scikit-learn's
/// HistGradientBoosting: 100 trees, 31 leaves, rate 0.1, 20 rows per leaf):
/// numberOfTrees (scikit-learn's n_estimators), numberOfLeaves, maxDepth, learningRate, minimumExampleCountPerLeaf,
/// maximumNumberOfIterations (Linear), threads (LightGbm: its model depends on the thread count, so it is part of the spec;
/// default 1). ML.NET's trees grow leaf by leaf, not level by level, and have no depth limit, so
/// <c>maxDepth</c> d is mapped to at most 2^d leaves: the leaf count of a full tree of depth d. The trees then have no
/// more leaves than scikit-learn's, but one branch may go deeper than d while others stay shallower.
/// </summary>
public static class Trainers
{
    public static IEstimator<ITransformer> Create(MLContext ml, TrainerSpec spec, ModelTask task, string features)
    {
        var h = new Hyper(spec.Hyperparameters);
        var label = task switch { ModelTask.Binary => "Positive", ModelTask.Regression => "Value", _ => "LabelKey" };
        // LightGbm's result depends on its thread count, so the count is a hyperparameter (default 1) recorded with the spec.
        LightGbmBinaryTrainer.Options BinaryGbm() => new()
        {
            LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
        };
        FastTreeBinaryTrainer.Options BinaryTree() => new()
        {
            // One-versus-all trains each class's binary tree on the multiclass key column, named as its own label.
            LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
            LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf,
        };
        FastForestBinaryTrainer.Options BinaryForest() => new()
        {
            LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
            MinimumExampleCountPerLeaf = h.MinPerLeaf,
        };
        return (task, spec.Name) switch
        {
            (ModelTask.Binary, "LightGbm") => ml.BinaryClassification.Trainers.LightGbm(BinaryGbm()),
            (ModelTask.Binary, "FastTree") => ml.BinaryClassification.Trainers.FastTree(BinaryTree()),
            // A forest's score is a vote share, not a probability: Platt scaling makes it one (for logLoss, and like the others).
            (ModelTask.Binary, "FastForest") => ml.BinaryClassification.Trainers.FastForest(BinaryForest())
                .Append(ml.BinaryClassification.Calibrators.Platt(labelColumnName: label)),
            (ModelTask.Binary, "Linear") => ml.BinaryClassification.Trainers.SdcaLogisticRegression(label, features, maximumNumberOfIterations: h.Iterations),

            (ModelTask.Multiclass, "LightGbm") => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
            }),
            (ModelTask.Multiclass, "FastTree") => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(BinaryTree()), label),
            (ModelTask.Multiclass, "FastForest") => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastForest(BinaryForest()), label),
            (ModelTask.Multiclass, "Linear") => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(label, features, maximumNumberOfIterations: h.Iterations),

            (ModelTask.Regression, "LightGbm") => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfIterations = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf, Seed = spec.Seed, NumberOfThreads = h.Threads,
            }),
            (ModelTask.Regression, "FastTree") => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
                LearningRate = h.LearningRate, MinimumExampleCountPerLeaf = h.MinPerLeaf,
            }),
            (ModelTask.Regression, "FastForest") => ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
            {
                LabelColumnName = label, FeatureColumnName = features, NumberOfTrees = h.Trees, NumberOfLeaves = h.Leaves,
                MinimumExampleCountPerLeaf = h.MinPerLeaf,
            }),
            (ModelTask.Regression, "Linear") => ml.Regression.Trainers.Sdca(label, features, maximumNumberOfIterations: h.Iterations),
            _ => throw new TrainingException($"Unknown trainer '{spec.Name}'. Use one of: {string.Join(", ", TrainerSpec.Names)}."),
        };
    }

    sealed class Hyper(IReadOnlyDictionary<string, double> values)
    {
        public int Trees => Int("numberOfTrees", 100);
        public int Leaves => values.ContainsKey("numberOfLeaves") ? Int("numberOfLeaves", 31)
            : values.ContainsKey("maxDepth") ? (int)Math.Min(1 << Math.Min(Int("maxDepth", 5), 20), 131072) : 31;
        public double LearningRate => values.GetValueOrDefault("learningRate", 0.1);
        public int MinPerLeaf => Int("minimumExampleCountPerLeaf", 20);
        public int Iterations => Int("maximumNumberOfIterations", 100);
        public int Threads => Int("threads", 1);

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? checked((int)Math.Round(v)) : fallback;
    }
}
