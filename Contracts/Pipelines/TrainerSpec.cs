using FluentValidation;

namespace MlOps.Contracts;

/// <summary>The trainer and its hyperparameters (<see cref="TrainerCatalog"/> names them, bounds them and gives their defaults).</summary>
public record TrainerSpec
{
    /// <summary>LightGbm (default), FastTree, FastForest or Linear.</summary>
    public string Name { get; init; } = "LightGbm";
    public int Seed { get; init; } = 42;
    /// <summary>Share of rows held out for evaluation, chosen by the seed.</summary>
    public double TestFraction { get; init; } = 0.2;
    public Dictionary<string, double> Hyperparameters { get; init; } = [];

    /// <summary>
    /// The longest this pipeline's model may take to train (hh:mm:ss); then the run ends failed with the reason. None by
    /// default (the train stage's own limit, <c>Stages:train:Timeout</c>, applies to every pipeline).
    /// </summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>How a trainer learns, which decides the hyperparameters it takes and their defaults.</summary>
public enum TrainerKind
{
    Boosting,
    Forest,
    Linear,
}

/// <summary>
/// One hyperparameter: the trainers that take it, its bound (checked when the spec is registered, with <see cref="Bound"/>'s
/// message), and its default on a given trainer and training size (null: not reported for that trainer).
/// </summary>
public sealed record Hyperparameter(string Name, bool Linear, bool Whole, Func<double, bool> Bound, string? BoundMessage,
    Func<TrainerCatalog.Setting, double?> Default);

/// <summary>
/// The trainers train knows and every hyperparameter they take, with the bounds ingest checks at PUT and the defaults train
/// runs with (recorded in each model card). A new trainer or hyperparameter is added here; train's <c>Trainers</c> maps the
/// name to its ML.NET estimator. Trees, leaves and rate default to scikit-learn's HistGradientBoosting (100 trees of 31
/// leaves at rate 0.1), except boosting on large data (<see cref="Setting.LargeBoosting"/>). ML.NET's trees grow leaf by
/// leaf and have no depth limit, so <c>maxDepth</c> d means at most 2^d leaves.
/// </summary>
public static class TrainerCatalog
{
    public static readonly IReadOnlyDictionary<string, TrainerKind> Trainers = new Dictionary<string, TrainerKind>
    {
        ["LightGbm"] = TrainerKind.Boosting,
        ["FastTree"] = TrainerKind.Boosting,
        ["FastForest"] = TrainerKind.Forest,
        ["Linear"] = TrainerKind.Linear,
    };

    public static IReadOnlyList<string> Names { get; } = [.. Trainers.Keys];

    /// <summary>From this many training rows on, data counts as large (<see cref="Setting.LargeBoosting"/>, a forest's row fraction).</summary>
    public const int LargeData = 100_000;

    /// <summary>
    /// Threads: LightGbm runs deterministic and column-wise (each feature's histogram summed by one thread, in row order), so its
    /// trees do not depend on the thread count and the model hash leaves it out; the default is every core.
    /// rowFraction: FastForest 0.4 from 100,000 training rows (chosen on the first benchmark file, where it beat ML.NET's 0.7 by
    /// half a point; on the held-out h-wide it is 0.24 points behind, 9% faster: BENCHMARKS.md; scikit-learn's bootstrap draws
    /// ~63% distinct rows), 0.7 below (smaller trees hurt small data); boosting: every row.
    /// maxBins: FastForest 63 (averaged deep trees need fewer thresholds), boosting 255 (as LightGBM and HistGradientBoosting).
    /// </summary>
    public static readonly IReadOnlyList<Hyperparameter> Hyperparameters =
    [
        new("numberOfTrees", false, true, _ => true, null, c => c.LargeBoosting ? 50 : 100),
        new("numberOfLeaves", false, true, _ => true, null,
            c => c.Given.TryGetValue("maxDepth", out var d) ? Math.Min(1 << (int)Math.Min(Math.Round(d), 20), 131072) : c.LargeBoosting ? 63 : 31),
        new("maxDepth", false, true, d => d <= 16, "maxDepth is at most 16 (65,536 leaves).", _ => null),
        new("learningRate", false, false, r => r <= 1, "learningRate must be in (0, 1].",
            c => c.Kind == TrainerKind.Forest ? null : c.LargeBoosting ? 0.2 : 0.1),
        new("minimumExampleCountPerLeaf", false, true, _ => true, null, _ => 20),
        new("threads", false, true, t => t <= 256, "threads is at most 256.", c => c.Trainer == "LightGbm" ? Environment.ProcessorCount : null),
        new("rowFraction", false, false, r => r <= 1, "rowFraction (the share of rows each tree learns from) must be in (0, 1].",
            c => c.Kind != TrainerKind.Forest ? 1.0 : c.TrainRows >= LargeData ? 0.4 : 0.7),
        new("maxBins", false, true, b => b is >= 2 and <= 1024, "maxBins (histogram bins per feature) must be between 2 and 1024.",
            c => c.Kind == TrainerKind.Forest ? 63 : 255),
        new("maximumNumberOfIterations", true, true, _ => true, null, _ => 100),
    ];

    /// <summary>The hyperparameter names a trainer takes (Linear: its own; every tree trainer: the tree ones).</summary>
    public static IReadOnlyList<string> NamesFor(string trainer) =>
        [.. Hyperparameters.Where(h => h.Linear == (KindOf(trainer) == TrainerKind.Linear)).Select(h => h.Name)];

    /// <summary>How a trainer learns (an unknown name, refused at PUT, counts as boosting).</summary>
    public static TrainerKind KindOf(string trainer) => Trainers.GetValueOrDefault(trainer, TrainerKind.Boosting);

    /// <summary>What a default depends on: the trainer, the values the spec gave, and the training rows.</summary>
    public sealed record Setting(string Trainer, IReadOnlyDictionary<string, double> Given, int TrainRows)
    {
        public TrainerKind Kind => KindOf(Trainer);

        /// <summary>
        /// Boosting (LightGbm, FastTree) on 100,000 training rows or more defaults to 50 trees of 63 leaves at rate 0.2 instead
        /// of 100 of 31 at 0.1: large data supports larger trees, and half as many of them scored better than the smaller
        /// setting on four of five million-row tuning sets (the exception, a smooth regression, lost 0.13 points of r²) and on
        /// three of five held-out sets, level on the other two, in about 70% of its time (BENCHMARKS.md, "Training defaults").
        /// Each value the spec names is used as it is.
        /// </summary>
        public bool LargeBoosting => Kind == TrainerKind.Boosting && TrainRows >= LargeData;
    }

    /// <summary>The value a trainer runs with: the spec's, else the default for this trainer and this many training rows.</summary>
    public static double Value(TrainerSpec spec, string name, int trainRows) =>
        spec.Hyperparameters.TryGetValue(name, out var v) ? v : Hyperparameters.Single(h => h.Name == name).Default(new Setting(spec.Name, spec.Hyperparameters, trainRows))
              ?? throw new ArgumentException($"{name} has no default on {spec.Name}.", nameof(name));

    /// <summary>The hyperparameters the trainer runs with on this many training rows: the spec's, and the defaults for the rest (kept in the model card).</summary>
    public static IReadOnlyDictionary<string, double> Effective(TrainerSpec spec, int trainRows)
    {
        var setting = new Setting(spec.Name, spec.Hyperparameters, trainRows);
        var values = new SortedDictionary<string, double>();
        foreach (var h in Hyperparameters.Where(h => h.Linear == (setting.Kind == TrainerKind.Linear)))
            if (h.Default(setting) is double fallback)
                values[h.Name] = spec.Hyperparameters.GetValueOrDefault(h.Name, fallback);
        return values;
    }
}

public sealed class TrainerSpecValidator : AbstractValidator<TrainerSpec>
{
    public TrainerSpecValidator()
    {
        RuleFor(t => t.Name).Must(n => TrainerCatalog.Trainers.ContainsKey(n))
            .WithMessage(t => $"Unknown trainer '{t.Name}'. Use one of: {string.Join(", ", TrainerCatalog.Names)}.");
        RuleFor(t => t.TestFraction).ExclusiveBetween(0.0, 0.9);
        RuleFor(t => t.Timeout).Must(t => t is null || (t > TimeSpan.Zero && t <= TimeSpan.FromDays(7)))
            .WithName("trainer.timeout").WithMessage(t => $"trainer.timeout is {t.Timeout}; give a positive duration up to 7 days (hh:mm:ss, e.g. \"00:30:00\").");
        RuleForEach(t => t.Hyperparameters).Must((t, kv) => TrainerCatalog.NamesFor(t.Name).Contains(kv.Key))
            .WithMessage((t, kv) => $"'{kv.Key}' is not a hyperparameter of {t.Name}. Known: {string.Join(", ", TrainerCatalog.NamesFor(t.Name))}.");
        RuleForEach(t => t.Hyperparameters).Must(kv => double.IsFinite(kv.Value) && kv.Value > 0)
            .WithMessage((_, kv) => $"Hyperparameter '{kv.Key}' must be a positive number, not {kv.Value}.");
        RuleForEach(t => t.Hyperparameters).Must(kv => Known(kv.Key) is { Whole: false } || kv.Value == Math.Round(kv.Value) && kv.Value <= 1_000_000)
            .WithMessage((_, kv) => $"Hyperparameter '{kv.Key}' must be a whole number up to 1,000,000, not {kv.Value}.");
        RuleFor(t => t.Hyperparameters).Must(h => !(h.ContainsKey("maxDepth") && h.ContainsKey("numberOfLeaves")))
            .WithMessage("Give maxDepth or numberOfLeaves, not both: maxDepth d means at most 2^d leaves.");
        foreach (var bounded in TrainerCatalog.Hyperparameters.Where(h => h.BoundMessage is not null))
            RuleFor(t => t.Hyperparameters).Must(h => !h.TryGetValue(bounded.Name, out var v) || bounded.Bound(v)).WithMessage(bounded.BoundMessage);
    }

    static Hyperparameter? Known(string name) => TrainerCatalog.Hyperparameters.FirstOrDefault(h => h.Name == name);
}
