using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// When live inputs count as drifted, with the defaults the best drift tools use (Evidently's): for a reference of at most
/// <see cref="SmallReference"/> rows, a two-sample KS test per numeric feature (and chi-squared per categorical one),
/// drifted when p &lt; <see cref="PValue"/> after the <see cref="Correction"/> for testing many features at once; for a larger
/// reference, the normalized Wasserstein distance (Jensen–Shannon for categorical), drifted above <see cref="Threshold"/>.
/// <see cref="Method"/> (one of <see cref="Methods"/>) and <see cref="Features"/> override the choice for the pipeline or one
/// feature. The dataset has drifted when the drifted share reaches <see cref="DriftedShare"/>. No verdict before
/// <see cref="MinSamples"/> live rows; at most one retrain per <see cref="Cooldown"/>.
/// </summary>
public record DriftSpec
{
    /// <summary>The drift statistics monitor computes (its <c>DriftStatistics</c>), and <c>auto</c>, chosen by the reference's size.</summary>
    public static readonly IReadOnlyList<string> Methods = ["auto", "ks", "wasserstein", "psi"];

    /// <summary>The corrections of p-values for testing many features at once.</summary>
    public static readonly IReadOnlyList<string> Corrections = ["benjaminiHochberg", "bonferroni", "none"];

    public string Method { get; init; } = "auto";
    public double PValue { get; init; } = 0.05;
    public double Threshold { get; init; } = 0.1;
    public string Correction { get; init; } = "benjaminiHochberg";
    public int SmallReference { get; init; } = 1000;
    public Dictionary<string, FeatureDriftSpec> Features { get; init; } = [];
    public double DriftedShare { get; init; } = 0.5;
    public int MinSamples { get; init; } = 200;
    public int ReferenceSampleSize { get; init; } = 5000;
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(10);
    public bool RetrainOnDrift { get; init; } = true;
}

/// <summary>One feature's own drift method and threshold (each optional: what is not given comes from the pipeline's policy).</summary>
public record FeatureDriftSpec
{
    public string? Method { get; init; }
    public double? Threshold { get; init; }
}

public sealed class DriftSpecValidator : AbstractValidator<DriftSpec>
{
    public DriftSpecValidator()
    {
        RuleFor(d => d.PValue).ExclusiveBetween(0.0, 1.0);
        RuleFor(d => d.Method).Must(m => DriftSpec.Methods.Contains(m))
            .WithMessage(d => $"drift.method '{d.Method}' is not one of {string.Join(", ", DriftSpec.Methods)}.");
        RuleFor(d => d.Threshold).Must(t => double.IsFinite(t) && t > 0 && t < 10)
            .WithMessage(d => $"drift.threshold {d.Threshold} can never (or always) be crossed; use a distance in (0, 10), e.g. 0.1.");
        RuleFor(d => d.Correction).Must(c => DriftSpec.Corrections.Contains(c))
            .WithMessage(d => $"drift.correction '{d.Correction}' is not one of {string.Join(", ", DriftSpec.Corrections)}.");
        RuleFor(d => d.SmallReference).GreaterThanOrEqualTo(0);
        RuleForEach(d => d.Features).Must(kv => kv.Key.Trim().Length > 0 && (kv.Value.Method is null || DriftSpec.Methods.Contains(kv.Value.Method))
                && (kv.Value.Threshold is null || double.IsFinite(kv.Value.Threshold.Value) && kv.Value.Threshold > 0 && kv.Value.Threshold < 10))
            .WithMessage((_, kv) => $"drift.features['{kv.Key}']: method must be one of {string.Join(", ", DriftSpec.Methods)} and threshold in (0, 10).");
        RuleFor(d => d.DriftedShare).ExclusiveBetween(0.0, 1.0).Unless(d => d.DriftedShare == 1.0);
        RuleFor(d => d.MinSamples).GreaterThanOrEqualTo(20);
        RuleFor(d => d.ReferenceSampleSize).InclusiveBetween(100, 1_000_000);
        RuleFor(d => d.Cooldown).GreaterThanOrEqualTo(TimeSpan.Zero);
    }
}
