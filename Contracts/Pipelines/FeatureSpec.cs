using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// Feature engineering that becomes part of the model (the ML.NET pipeline and its ONNX graph), so serving applies exactly
/// what training did. Every feature not named in <see cref="Categorical"/> or <see cref="Hashed"/> is numeric.
/// </summary>
public record FeatureSpec
{
    /// <summary>How empty cells of an imputed column are filled (train's ML.NET replacement modes).</summary>
    public static readonly IReadOnlyList<string> ImputeModes = ["median", "mean", "minimum", "maximum", "zero"];

    /// <summary>How the numeric features are scaled (train maps each to an ML.NET normalizer).</summary>
    public static readonly IReadOnlyList<string> Normalizers = ["none", "minMax", "meanVariance"];

    /// <summary>Text columns one-hot encoded over the values seen in training (an unseen value encodes as all zeros).</summary>
    public List<string> Categorical { get; init; } = [];

    /// <summary>Text columns one-hot encoded over 2^<see cref="HashBits"/> hash buckets (for many or open-ended values).</summary>
    public List<string> Hashed { get; init; } = [];
    public int HashBits { get; init; } = 10;

    /// <summary>
    /// Numeric columns whose empty cells are filled, each with its own statistic of the training rows (<see cref="ImputeModes"/>):
    /// the fill values are computed once, at training, and applied inside the model's graph, so serving sends the empty cell.
    /// </summary>
    public Dictionary<string, string> Impute { get; init; } = [];

    /// <summary>
    /// Beside each imputed column, an indicator feature the graph computes: 1 where the cell was empty, 0 elsewhere, so the
    /// model can learn from a gap itself (a missing income is not an average income), not only from the value filled in.
    /// </summary>
    public bool MissingIndicators { get; init; }

    /// <summary>
    /// Date or time columns (<see cref="DateParts"/>: ISO 8601 text, or seconds since 1970): the model's graph derives each one's
    /// year, month, day of month, weekday and hour from the raw value, so serving sends the timestamp as it is in the data.
    /// An empty cell is allowed (its parts are -1).
    /// </summary>
    public List<string> Timestamps { get; init; } = [];

    /// <summary>Columns kept in the data but not fed to the model (identifiers, constants).</summary>
    public List<string> Exclude { get; init; } = [];

    /// <summary>Scaling of the numeric features: one of <see cref="Normalizers"/> (fitted on the training rows).</summary>
    public string Normalize { get; init; } = "none";

    /// <summary>
    /// Features computed from two numeric columns (<see cref="DerivedFeature"/>): nodes of the model's ONNX graph, so callers send
    /// only the dataset's columns and serving computes them exactly as training did.
    /// </summary>
    public List<DerivedFeature> Derived { get; init; } = [];
}

public sealed class FeatureSpecValidator : AbstractValidator<FeatureSpec>
{
    public FeatureSpecValidator()
    {
        RuleForEach(f => f.Categorical.Concat(f.Hashed)).Must(c => !string.IsNullOrWhiteSpace(c))
            .OverridePropertyName("features").WithMessage("features.categorical and features.hashed name columns; an empty name is not one.");
        RuleFor(f => f).Must(f => !f.Categorical.Intersect(f.Hashed).Any())
            .WithMessage(f => $"Columns both categorical and hashed: {string.Join(", ", f.Categorical.Intersect(f.Hashed))}. Pick one encoding per column.");
        RuleFor(f => f).Must(f => !f.Impute.Keys.Intersect(f.Categorical.Concat(f.Hashed)).Any())
            .WithMessage("features.impute is for numeric columns; a categorical column's empty value is a category of its own.");
        RuleFor(f => f.HashBits).InclusiveBetween(1, 20);
        RuleForEach(f => f.Timestamps).Must(c => !string.IsNullOrWhiteSpace(c))
            .OverridePropertyName("features.timestamps").WithMessage("features.timestamps names columns; an empty name is not one.");
        RuleFor(f => f).Must(f => !f.Timestamps.Intersect(f.Categorical.Concat(f.Hashed).Concat(f.Impute.Keys).Concat(f.Exclude)).Any())
            .WithMessage(f => $"Timestamp columns are read as dates, so they cannot also be encoded, imputed or excluded: {string.Join(", ", f.Timestamps.Intersect(f.Categorical.Concat(f.Hashed).Concat(f.Impute.Keys).Concat(f.Exclude)))}.");
        RuleFor(f => f).Must(f => !f.Exclude.Intersect(f.Categorical.Concat(f.Hashed).Concat(f.Impute.Keys)).Any())
            .WithMessage(f => $"features.exclude leaves columns out of the model, so they cannot also be encoded or imputed: {string.Join(", ", f.Exclude.Intersect(f.Categorical.Concat(f.Hashed).Concat(f.Impute.Keys)))}.");
        RuleForEach(f => f.Impute).Must(kv => FeatureSpec.ImputeModes.Contains(kv.Value))
            .WithMessage((_, kv) => $"features.impute['{kv.Key}'] is '{kv.Value}'; use one of {string.Join(", ", FeatureSpec.ImputeModes)}.");
        RuleFor(f => f.Normalize).Must(n => FeatureSpec.Normalizers.Contains(n))
            .WithMessage(f => $"features.normalize is '{f.Normalize}'; use one of {string.Join(", ", FeatureSpec.Normalizers)}.");
        RuleForEach(f => f.Derived).Must(d => !string.IsNullOrWhiteSpace(d.Name) && d.Name.Length <= 100)
            .WithMessage("Each features.derived entry needs a name (up to 100 characters).");
        RuleForEach(f => f.Derived).Must(d => DerivedFeature.Ops.Contains(d.Op))
            .WithMessage((_, d) => $"features.derived '{d.Name}': op '{d.Op}' is not one of {string.Join(", ", DerivedFeature.Ops)}.");
        RuleForEach(f => f.Derived).Must(d => d.Of is [var a, var b] && !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b))
            .WithMessage((_, d) => $"features.derived '{d.Name}': 'of' names exactly two numeric columns, e.g. [\"income\", \"household\"].");
        RuleFor(f => f.Derived).Must(d => d.Select(x => x.Name).Distinct().Count() == d.Count)
            .WithMessage("Two features.derived entries have the same name.");
    }
}
