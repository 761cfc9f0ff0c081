using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// The registry's gate. Value thresholds: <see cref="Metric"/> must reach <see cref="Minimum"/>, and each entry of
/// <see cref="Thresholds"/> its bound (a minimum for scores, a maximum for errors: rmse, mae, logLoss). Change threshold:
/// when a champion exists, both models are scored on the candidate's hold-out rows and the candidate's <see cref="Metric"/>
/// must be no worse than the champion's by more than <see cref="ChampionTolerance"/> (a tie passes).
/// <see cref="Metric"/> <c>auto</c> is accuracy for classification and r2 for regression. With no minimum, the candidate
/// must beat the best constant answer on the same rows (<see cref="BaselineMargin"/>).
/// </summary>
public record GateSpec
{
    /// <summary>The metrics a classification model's hold-out is scored on (scoring's <c>HoldoutMetrics</c> computes each).</summary>
    public static readonly IReadOnlyList<string> ClassificationMetrics = ["accuracy", "f1", "auc", "logLoss", "macroAccuracy", "microAccuracy"];

    /// <summary>The metrics a regression model's hold-out is scored on.</summary>
    public static readonly IReadOnlyList<string> RegressionMetrics = ["r2", "rmse", "mae"];

    /// <summary>Metrics where lower is better: a threshold on them is a maximum, and "no worse" means "not higher".</summary>
    public static readonly IReadOnlySet<string> LowerIsBetter = new HashSet<string> { "rmse", "mae", "logLoss" };

    public static IReadOnlyList<string> MetricsFor(ModelTask task) => task == ModelTask.Regression ? RegressionMetrics : ClassificationMetrics;

    public string Metric { get; init; } = "auto";

    /// <summary>
    /// A floor for the gate metric. None by default: a candidate must then beat the best constant answer on its hold-out
    /// rows (the majority class and the class shares, or the mean) by <see cref="BaselineMargin"/>, which means something for
    /// any table, where a fixed 0.7 rejects a useful model of a hard problem and passes a useless one of an imbalanced one.
    /// </summary>
    public double? Minimum { get; init; }

    /// <summary>How much better than the constant baseline a candidate must be with no <see cref="Minimum"/>: in the metric's units for scores, a fraction of the baseline for errors.</summary>
    public double BaselineMargin { get; init; } = 0.01;
    public Dictionary<string, double> Thresholds { get; init; } = [];
    public double ChampionTolerance { get; init; }

    public string MetricFor(ModelTask task) => Metric != "auto" ? Metric : task == ModelTask.Regression ? "r2" : "accuracy";
}

/// <summary>The gate's check; the metric names depend on the spec's task.</summary>
public sealed class GateSpecValidator : AbstractValidator<GateSpec>
{
    public GateSpecValidator(ModelTask task)
    {
        var metrics = GateSpec.MetricsFor(task);
        RuleFor(g => g.Metric).Must(m => m == "auto" || metrics.Contains(m))
            .WithMessage(g => $"Unknown gate metric '{g.Metric}' for task {task}. Use auto or one of: {string.Join(", ", metrics)}.");
        RuleForEach(g => g.Thresholds).Must(kv => metrics.Contains(kv.Key) && double.IsFinite(kv.Value))
            .WithMessage((_, kv) => $"gate.thresholds: '{kv.Key}' = {kv.Value} is not a finite bound on a metric of task {task} ({string.Join(", ", metrics)}).");
        RuleFor(g => g.Minimum).Must(m => m is null || double.IsFinite(m.Value) && m >= -1e9 && m <= 1e9)
            .WithMessage("gate.minimum must be a finite number, or null for no minimum.");
        RuleFor(g => g.ChampionTolerance).GreaterThanOrEqualTo(0.0).Must(double.IsFinite);
        RuleFor(g => g.BaselineMargin).InclusiveBetween(0.0, 1.0).WithMessage("gate.baselineMargin must be between 0 and 1.");
    }
}
