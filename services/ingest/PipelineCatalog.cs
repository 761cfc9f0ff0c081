using FluentValidation;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest;

/// <summary>
/// The registered spec of each pipeline, or the default spec for a pipeline nobody configured. The checks are the spec's own
/// (<see cref="PipelineSpecValidator"/>, composed from each section's validator in Contracts/Pipelines).
/// </summary>
public sealed class PipelineCatalog(IArtifactStore store)
{
    static readonly PipelineSpecValidator Validator = new();

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
        await store.PutJsonAsync(ArtifactKeys.PipelineSpec(pipeline), spec, ct);
        return null;
    }
}
