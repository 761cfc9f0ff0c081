using MlOps.ServiceDefaults;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>
/// The chain behind a prediction, a model version or a run, in one answer: prediction → model version → run → dataset bytes
/// (key, SHA-256, size, rows; and the uploaded file it was converted from, if any) → validation report → spec (key, SHA-256) → code version and seed, and the model files.
/// </summary>
public record Lineage(string? PredictionId, ModelVersion? Version, RunRecord Run, LineageDataset Dataset, LineageValidation Validation,
    LineageSpec Spec, LineageModel? Model, Guid? ParentRunId, Guid? CachedFrom);

public record LineageDataset(string Key, string? Sha256, long? Bytes, long? Rows, DatasetSource? Source = null);
public record LineageValidation(string ReportKey, string PageKey, bool? Success);
public record LineageSpec(string Key, string? Sha256, string? CodeVersion, int? Seed);
public record LineageModel(string OnnxKey, string ModelKey, string CardKey, string ModelSha256);

public static partial class LineageApi
{
    public static RouteGroupBuilder MapLineageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/lineage").WithTags("Registry: lineage").ValidatePipelineNames();
        group.MapGet("/predictions/{predictionId}", OfPrediction);
        group.MapGet("/runs/{runId:guid}", OfRun);
        group.MapGet("/models/{pipeline}/versions/{version:int}", OfVersion);
        return group;
    }

    /// <summary>Deploy mints prediction IDs as {runId}-{random}, both 32 hex digits: the run is in the ID.</summary>
    [GeneratedRegex("^([0-9a-f]{32})-[0-9a-f]{32}$")]
    private static partial Regex PredictionId();

    public static async Task<Results<Ok<Lineage>, ProblemHttpResult>> OfPrediction(string predictionId, RegistryStore registry, IArtifactStore store, CancellationToken ct)
    {
        var match = PredictionId().Match(predictionId);
        if (!match.Success)
            return TypedResults.Problem(statusCode: 400, title: "Invalid prediction ID",
                detail: "A prediction ID is the run ID and a random part, 32 hex digits each, joined by '-' (as in infer's parameters.prediction_ids).");
        return await Build(Guid.ParseExact(match.Groups[1].Value, "N"), predictionId, registry, store, ct);
    }

    public static Task<Results<Ok<Lineage>, ProblemHttpResult>> OfRun(Guid runId, RegistryStore registry, IArtifactStore store, CancellationToken ct) =>
        Build(runId, null, registry, store, ct);

    public static async Task<Results<Ok<Lineage>, ProblemHttpResult>> OfVersion(string pipeline, int version, RegistryStore registry, IArtifactStore store, CancellationToken ct) =>
        registry.Version(pipeline, version) is { } v
            ? await Build(v.RunId, null, registry, store, ct)
            : TypedResults.Problem(statusCode: 404, title: "Unknown model version", detail: $"'{pipeline}' has no version {version}.");

    static async Task<Results<Ok<Lineage>, ProblemHttpResult>> Build(Guid runId, string? predictionId, RegistryStore registry, IArtifactStore store, CancellationToken ct)
    {
        if (registry.Run(runId) is not { } run)
            return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {runId:N} is recorded.");
        var version = registry.VersionOfRun(runId);
        var manifest = await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(runId), ct);
        bool? validated = run.State == RunStatus.Rejected ? false : run.DatasetRows is not null ? true : null;
        return TypedResults.Ok(new Lineage(predictionId, version, run,
            new LineageDataset(manifest?.DatasetKey ?? ArtifactKeys.Dataset(runId), run.DatasetSha256 ?? manifest?.DatasetSha256, run.DatasetBytes ?? manifest?.DatasetBytes, run.DatasetRows, manifest?.Source),
            new LineageValidation(ArtifactKeys.Validation(runId), ArtifactKeys.ValidationHtml(runId), validated),
            new LineageSpec(ArtifactKeys.Spec(runId), run.SpecSha256 ?? manifest?.SpecSha256, run.CodeVersion ?? manifest?.CodeVersion, run.Seed ?? manifest?.Seed),
            version is null ? null : new LineageModel(ArtifactKeys.Onnx(runId), ArtifactKeys.Model(runId), ArtifactKeys.ModelCard(runId), version.ModelSha256),
            run.ParentRunId, run.CachedFrom));
    }
}
