using FluentValidation;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Ingest;

/// <summary>
/// The registered spec of each pipeline, or the default spec for a pipeline nobody configured. The checks are the spec's own
/// (<see cref="PipelineSpecValidator"/>, composed from each section's validator in Contracts/Pipelines), and where its
/// webhooks may go (<see cref="WebhookPolicy"/>: this service's configuration, not the spec's).
/// </summary>
public sealed class PipelineCatalog(IArtifactStore store, WebhookPolicy webhooks, Microsoft.Extensions.Options.IOptions<IngestOptions> options)
{
    static readonly PipelineSpecValidator Validator = new();

    /// <summary>Trees × leaves per tree a tree trainer will grow (its defaults where the spec names none); null for linear trainers.</summary>
    static double? TrainingCost(TrainerSpec trainer) => TrainerCatalog.KindOf(trainer.Name) == TrainerKind.Linear ? null
        : TrainerCatalog.Value(trainer, "numberOfTrees", 0) * TrainerCatalog.Value(trainer, "numberOfLeaves", 0);

    public async Task<PipelineSpec> GetAsync(string pipeline, CancellationToken ct) =>
        (await store.TryGetJsonAsync<PipelineSpec>(ArtifactKeys.PipelineSpec(pipeline), ct) ?? new PipelineSpec()) with { Name = pipeline };

    /// <summary>
    /// Writes what validation worked out about the columns of an accepted dataset into the pipeline's spec
    /// (<see cref="InferredColumn.Learn"/>), so the next dataset is validated against it; returns the spec's errors if the
    /// result would not be a valid spec (it is then left as it was).
    /// </summary>
    public async Task<IDictionary<string, string[]>?> LearnAsync(string pipeline, Guid runId, IReadOnlyList<InferredColumn> inferred, CancellationToken ct)
    {
        var spec = await GetAsync(pipeline, ct);
        var learned = InferredColumn.Learn(spec, inferred, runId);
        return ReferenceEquals(learned, spec) ? null : await SaveAsync(pipeline, learned, ct);
    }

    /// <summary>Validates and stores a spec; the errors are returned, never thrown, so the API can answer 400 with all of them.</summary>
    public async Task<IDictionary<string, string[]>?> SaveAsync(string pipeline, PipelineSpec spec, CancellationToken ct)
    {
        spec = spec with { Name = pipeline };
        var result = await Validator.ValidateAsync(spec, ct);
        if (!result.IsValid) return result.ToDictionary();
        if (spec.Alerts.Webhooks.Select(webhooks.Refusal).OfType<string>().ToArray() is { Length: > 0 } refused)
            return new Dictionary<string, string[]> { ["alerts.webhooks"] = refused };
        if (TrainingCost(spec.Trainer) is { } cost && cost > options.Value.MaxTreeLeaves)
            return new Dictionary<string, string[]>
            {
                ["trainer.hyperparameters"] = [$"{spec.Trainer.Name} with these hyperparameters grows {cost:N0} leaves (trees × leaves per tree); the most a spec may ask for is " +
                    $"{options.Value.MaxTreeLeaves:N0} (Ingest:MaxTreeLeaves). Use fewer trees (numberOfTrees) or smaller ones (numberOfLeaves, maxDepth)."],
            };
        await store.PutJsonAsync(ArtifactKeys.PipelineSpec(pipeline), spec, ct);
        return null;
    }
}
