using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>A forced approval: why (required), and who (recorded; defaults to the caller's address).</summary>
public record ApprovalRequest(string? Reason, string? By);

public record RunDetail(RunRecord Run, ModelVersion? Version, IReadOnlyList<RunEvent> Events, IReadOnlyList<string> Artifacts);

public static class RegistryApi
{
    static readonly string[] Statuses = ["requested", "validating", "training", "gating", "deploying", "deployed", "rejected", "model-rejected", "failed"];

    public static RouteGroupBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Registry");
        group.MapGet("/runs", ListRuns);
        group.MapGet("/runs/{runId:guid}", GetRun);
        group.MapGet("/models/{pipeline}/versions", ListVersions);
        group.MapGet("/models/{pipeline}/versions/{version:int}", GetVersion);
        group.MapGet("/models/{pipeline}/aliases/{alias}", GetAlias);
        group.MapPost("/models/{pipeline}/versions/{version:int}/approve", ForceApprove);
        return group;
    }

    public static Results<Ok<IReadOnlyList<RunRecord>>, ProblemHttpResult> ListRuns(RegistryStore registry, string? pipeline, string? status, int? limit)
    {
        if (pipeline is not null && !PipelineName.IsValid(pipeline))
            return TypedResults.Problem(statusCode: 400, title: "Invalid filter", detail: $"pipeline must be {PipelineName.Rule}.");
        if (status is not null && !Statuses.Contains(status))
            return TypedResults.Problem(statusCode: 400, title: "Invalid filter", detail: $"status must be one of {string.Join(", ", Statuses)}.");
        if (limit is < 1 or > 1000)
            return TypedResults.Problem(statusCode: 400, title: "Invalid filter", detail: "limit must be between 1 and 1000.");
        return TypedResults.Ok(registry.Runs(pipeline, status, limit ?? 100));
    }

    public static async Task<Results<Ok<RunDetail>, ProblemHttpResult>> GetRun(Guid runId, RegistryStore registry, IArtifactStore store, CancellationToken ct)
    {
        if (registry.Run(runId) is not { } run)
            return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {runId:N} is recorded (yet).");
        return TypedResults.Ok(new RunDetail(run, registry.VersionOfRun(runId), registry.Events(runId), await store.ListAsync(ArtifactKeys.Run(runId), ct)));
    }

    public static Results<Ok<IReadOnlyList<ModelVersion>>, ProblemHttpResult> ListVersions(string pipeline, RegistryStore registry) =>
        PipelineName.IsValid(pipeline)
            ? TypedResults.Ok(registry.VersionsOf(pipeline))
            : TypedResults.Problem(statusCode: 400, title: "Invalid pipeline name", detail: $"Pipeline names are {PipelineName.Rule}.");

    public static Results<Ok<ModelVersion>, ProblemHttpResult> GetVersion(string pipeline, int version, RegistryStore registry) =>
        PipelineName.IsValid(pipeline) && registry.Version(pipeline, version) is { } v
            ? TypedResults.Ok(v)
            : TypedResults.Problem(statusCode: 404, title: "Unknown model version", detail: $"'{pipeline}' has no version {version}.");

    public static Results<Ok<ModelVersion>, ProblemHttpResult> GetAlias(string pipeline, string alias, RegistryStore registry) =>
        alias == "champion" && PipelineName.IsValid(pipeline) && registry.Champion(pipeline) is { } v
            ? TypedResults.Ok(v)
            : TypedResults.Problem(statusCode: 404, title: "Unknown alias", detail: $"'{pipeline}' has no version with alias '{alias}'.");

    /// <summary>Approves a version the gate rejected. A reason is required; the override is recorded and the version is deployed.</summary>
    public static async Task<Results<Ok<ModelVersion>, ProblemHttpResult>> ForceApprove(string pipeline, int version, ApprovalRequest? request,
        RegistryStore registry, IPublishEndpoint publish, HttpContext http, CancellationToken ct)
    {
        if (!PipelineName.IsValid(pipeline) || registry.Version(pipeline, version) is not { } v)
            return TypedResults.Problem(statusCode: 404, title: "Unknown model version", detail: $"'{pipeline}' has no version {version}.");
        var reason = request?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 2000)
            return TypedResults.Problem(statusCode: 400, title: "A reason is required",
                detail: "Overriding the gate needs a reason of 1 to 2000 characters: {\"reason\": \"why this version ships anyway\", \"by\": \"who\"}.");
        if (v.Approved)
            return TypedResults.Problem(statusCode: 409, title: "Already approved", detail: $"{pipeline} v{version} passed the gate; there is nothing to override.");
        var by = string.IsNullOrWhiteSpace(request!.By) ? $"caller {http.Connection.RemoteIpAddress}" : request.By.Trim()[..Math.Min(request.By.Trim().Length, 200)];
        var approved = await registry.ForceApproveAsync(pipeline, version, reason, by);
        await publish.Publish(new ModelApproved(v.RunId, pipeline, version, ArtifactKeys.Onnx(v.RunId), v.ModelSha256, approved.Reasons), ct);
        return TypedResults.Ok(approved);
    }
}
