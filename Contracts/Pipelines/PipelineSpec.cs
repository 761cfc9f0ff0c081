using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// A pipeline: one model's whole recipe, read by every service. Every run stores the exact spec it ran with
/// (<c>runs/{runId}/spec.json</c>), so a later change never rewrites what an earlier run did.
/// The defaults make a CSV whose last column is the label run with no configuration at all.
/// Each section owns its vocabulary, defaults and checks in its own file beside this one; this file only composes them.
/// </summary>
public record PipelineSpec
{
    public string Name { get; init; } = "";

    /// <summary>The label column; null means the last column of the header.</summary>
    public string? Target { get; init; }

    /// <summary>Auto infers binary or multiclass from the number of distinct labels; regression must be asked for.</summary>
    public ModelTask Task { get; init; } = ModelTask.Auto;

    public FeatureSpec Features { get; init; } = new();
    public TrainerSpec Trainer { get; init; } = new();
    public ValidationSpec Validation { get; init; } = new();
    public GateSpec Gate { get; init; } = new();
    public CacheSpec Cache { get; init; } = new();
    public TriggerSpec Triggers { get; init; } = new();
    public AlertSpec Alerts { get; init; } = new();
    public PerformanceSpec Performance { get; init; } = new();
    public RolloutSpec Rollout { get; init; } = new();
    public RetrainingSpec Retraining { get; init; } = new();
    public DriftSpec Drift { get; init; } = new();
    public InferenceSpec Inference { get; init; } = new();

    /// <summary>Whether the spec says what a column is (its type, its encoding, its imputation, its exclusion, a derived feature's input): if not, validation infers it.</summary>
    public bool Names(string column) =>
        Validation.ColumnTypes.ContainsKey(column) || Features.Categorical.Contains(column) || Features.Hashed.Contains(column)
        || Features.Impute.ContainsKey(column) || Features.Exclude.Contains(column) || Features.Timestamps.Contains(column) || Features.Derived.Any(d => d.Of.Contains(column));
}

/// <summary>
/// A whole spec's check, run when the pipeline is registered (so a wrong spec is refused with every reason, never discovered
/// when data arrives): each section's own validator, plus the rules that join two sections (a target that is also a feature,
/// a gate metric of another task).
/// </summary>
public sealed class PipelineSpecValidator : AbstractValidator<PipelineSpec>
{
    public PipelineSpecValidator()
    {
        RuleFor(s => s.Name).Must(PipelineName.IsValid).WithMessage($"Pipeline names are {PipelineName.Rule}.");
        RuleFor(s => s.Target).Must(t => t is null || t.Trim().Length > 0).WithMessage("target must be a column name, or omitted for the last column.");
        RuleFor(s => s.Task).IsInEnum();
        RuleFor(s => s.Trainer).SetValidator(new TrainerSpecValidator());
        RuleFor(s => s.Features).SetValidator(new FeatureSpecValidator());
        RuleFor(s => s).Must(s => s.Target is null || !s.Features.Categorical.Concat(s.Features.Hashed).Concat(s.Features.Impute.Keys).Concat(s.Features.Timestamps).Contains(s.Target))
            .WithName("features").WithMessage(s => $"The target '{s.Target}' cannot also be a feature.");
        RuleFor(s => s).Must(s => !s.Features.Derived.Any(d => d.Of.Any(c => s.Features.Categorical.Contains(c) || s.Features.Hashed.Contains(c) || s.Features.Timestamps.Contains(c) || c == s.Target)))
            .WithMessage("features.derived reads numeric feature columns only: not categorical, hashed, timestamps or the target.");
        RuleFor(s => s.Validation).SetValidator(new ValidationSpecValidator());
        RuleFor(s => s.Gate).SetValidator(s => new GateSpecValidator(s.Task));
        RuleFor(s => s.Drift).SetValidator(new DriftSpecValidator());
        RuleFor(s => s.Triggers).SetValidator(new TriggerSpecValidator());
        RuleFor(s => s.Alerts).SetValidator(new AlertSpecValidator());
        RuleFor(s => s.Inference).SetValidator(new InferenceSpecValidator());
        RuleFor(s => s.Retraining.MinNewRows).InclusiveBetween(0, 100_000_000).WithName("retraining.minNewRows");
    }
}
