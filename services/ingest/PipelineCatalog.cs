using FluentValidation;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest;

/// <summary>The registered spec of each pipeline, or the default spec for a pipeline nobody configured.</summary>
public sealed class PipelineCatalog(IArtifactStore store)
{
    static readonly PipelineSpecValidator Validator = new();

    public async Task<PipelineSpec> GetAsync(string pipeline, CancellationToken ct) =>
        (await store.TryGetJsonAsync<PipelineSpec>(ArtifactKeys.PipelineSpec(pipeline), ct) ?? new PipelineSpec()) with { Name = pipeline };

    /// <summary>Validates and stores a spec; the errors are returned, never thrown, so the API can answer 400 with all of them.</summary>
    public async Task<IDictionary<string, string[]>?> SaveAsync(string pipeline, PipelineSpec spec, CancellationToken ct)
    {
        spec = spec with { Name = pipeline };
        var result = await Validator.ValidateAsync(spec, ct);
        if (!result.IsValid) return result.ToDictionary();
        await store.PutJsonAsync(ArtifactKeys.PipelineSpec(pipeline), spec, ct);
        return null;
    }
}

public sealed class PipelineSpecValidator : AbstractValidator<PipelineSpec>
{
    static readonly string[] Trainers = ["LightGbm", "FastTree", "FastForest", "Linear"];
    static readonly string[] TreeHyperparameters = ["numberOfTrees", "numberOfLeaves", "learningRate", "minimumExampleCountPerLeaf"];
    static readonly string[] LinearHyperparameters = ["maximumNumberOfIterations"];
    static readonly string[] Metrics = ["accuracy", "f1", "auc", "macroAccuracy", "microAccuracy"];

    public PipelineSpecValidator()
    {
        RuleFor(s => s.Name).Must(PipelineName.IsValid).WithMessage($"Pipeline names are {PipelineName.Rule}.");
        RuleFor(s => s.Target).Must(t => t is null || t.Trim().Length > 0).WithMessage("target must be a column name, or omitted for the last column.");
        RuleFor(s => s.Task).IsInEnum();
        RuleFor(s => s.Trainer.Name).Must(n => Trainers.Contains(n))
            .WithMessage(s => $"Unknown trainer '{s.Trainer.Name}'. Use one of: {string.Join(", ", Trainers)}.");
        RuleFor(s => s.Trainer.TestFraction).ExclusiveBetween(0.0, 0.9);
        RuleForEach(s => s.Trainer.Hyperparameters).Must((s, kv) => (s.Trainer.Name == "Linear" ? LinearHyperparameters : TreeHyperparameters).Contains(kv.Key))
            .WithMessage((s, kv) => $"'{kv.Key}' is not a hyperparameter of {s.Trainer.Name}. Known: {string.Join(", ", s.Trainer.Name == "Linear" ? LinearHyperparameters : TreeHyperparameters)}.");
        RuleForEach(s => s.Trainer.Hyperparameters).Must(kv => double.IsFinite(kv.Value) && kv.Value > 0)
            .WithMessage((_, kv) => $"Hyperparameter '{kv.Key}' must be a positive number, not {kv.Value}.");
        RuleFor(s => s.Validation.MinRows).GreaterThanOrEqualTo(10);
        RuleFor(s => s.Gate.Metric).Must(m => Metrics.Contains(m)).WithMessage(s => $"Unknown gate metric '{s.Gate.Metric}'. Use one of: {string.Join(", ", Metrics)}.");
        RuleFor(s => s.Gate.Minimum).InclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Gate.ChampionTolerance).InclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Drift.PValue).ExclusiveBetween(0.0, 1.0);
        RuleFor(s => s.Drift.DriftedShare).ExclusiveBetween(0.0, 1.0).Unless(s => s.Drift.DriftedShare == 1.0);
        RuleFor(s => s.Drift.MinSamples).GreaterThanOrEqualTo(20);
        RuleFor(s => s.Drift.ReferenceSampleSize).InclusiveBetween(100, 1_000_000);
        RuleFor(s => s.Drift.Cooldown).GreaterThanOrEqualTo(TimeSpan.Zero);
    }
}
