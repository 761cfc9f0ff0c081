using MlOps.ServiceDefaults;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Registry;

/// <summary>A person's command on a model (forced approval, rollback, retirement): why (required); who is the authenticated identity (<paramref name="By"/>, if given, only a note beside it).</summary>
public record CommandRequest(string? Reason, string? By);

/// <summary>Moving an alias: to which version, why, who; a version the gate rejected also needs <see cref="OverrideReason"/>.</summary>
public record AliasMove(int? Version, string? Reason, string? By, string? OverrideReason);

/// <summary>What served a model at a time: the version, its run, and the log entry of that deployment.</summary>
public record ServedAnswer(string Pipeline, DateTimeOffset At, int Version, Guid RunId, DateTimeOffset DeployedAt, ModelLogEntry Deployment);

/// <summary>Model versions, tags, aliases (champion, challenger …), the model's append-only log, "what served at T", rollback.</summary>
public static partial class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/models/{pipeline}").WithTags("Registry: models").ValidatePipelineNames();
        group.MapGet("/versions", ListVersions);
        group.MapGet("/versions/{version:int}", GetVersion);
        group.MapPut("/versions/{version:int}/tags", SetTags).Requires(Roles.Approver).RequireRateLimiting("Commands");
        group.MapPost("/versions/{version:int}/approve", ForceApprove).Requires(Roles.Approver).RequireRateLimiting("Commands");
        group.MapGet("/aliases/{alias}", GetAlias);
        group.MapGet("/aliases/{alias}/history", AliasHistory);
        group.MapPut("/aliases/{alias}", MoveAlias).Requires(Roles.Approver).RequireRateLimiting("Commands");
        group.MapGet("/log", GetLog);
        group.MapGet("/served", Served);
        group.MapPost("/rollback", Rollback).Requires(Roles.Approver).RequireRateLimiting("Commands");
        group.MapPost("/retire", Retire).Requires(Roles.Approver).RequireRateLimiting("Commands");
        return group;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex AliasName();

    static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
    static ProblemHttpResult NoVersion(string pipeline, int version) => Problem(404, "Unknown model version", $"'{pipeline}' has no version {version}.");
    /// <summary>The command's reason, trimmed, when it has 1 to 2000 characters.</summary>
    static bool HasReason(string? given, out string reason)
    {
        reason = given?.Trim() ?? "";
        return reason.Length is > 0 and <= 2000;
    }

    static ProblemHttpResult ReasonRequired(string detail) => Problem(400, "A reason is required", detail);

    /// <summary>Who gives the command: the authenticated identity; what the caller says in <c>by</c> is kept only as a note beside it.</summary>
    static string Who(string? by, HttpContext http) => Actor.Of(http.User, by);

    public static Results<Ok<IReadOnlyList<ModelVersion>>, ProblemHttpResult> ListVersions(string pipeline, RegistryStore registry) =>
        TypedResults.Ok(registry.VersionsOf(pipeline));

    public static Results<Ok<ModelVersion>, ProblemHttpResult> GetVersion(string pipeline, int version, RegistryStore registry) =>
        registry.Version(pipeline, version) is { } v ? TypedResults.Ok(v) : NoVersion(pipeline, version);

    /// <summary>PUT a JSON object of string tags; they merge into the version's tags.</summary>
    public static async Task<Results<Ok<ModelVersion>, ProblemHttpResult>> SetTags(string pipeline, int version, Dictionary<string, string>? tags, RegistryStore registry)
    {
        if (registry.Version(pipeline, version) is null) return NoVersion(pipeline, version);
        if (tags is null || tags.Count is 0 or > 50 || tags.Any(t => t.Key.Length is 0 or > 100 || t.Value is null || t.Value.Length > 1000))
            return Problem(400, "Invalid tags", "Send a JSON object of 1 to 50 tags, names of 1 to 100 characters, values of up to 1000.");
        await registry.SetTagsAsync(pipeline, version, tags);
        return TypedResults.Ok(registry.Version(pipeline, version)!);
    }

    public static Results<Ok<ModelVersion>, ProblemHttpResult> GetAlias(string pipeline, string alias, RegistryStore registry)
    {
        if (!AliasName().IsMatch(alias)) return Problem(400, "Invalid alias", "Aliases are 1 to 32 characters: lowercase letters, digits and '-', starting with a letter.");
        return registry.VersionsOf(pipeline).FirstOrDefault(v => v.Aliases.Contains(alias)) is { } found
            ? TypedResults.Ok(found)
            : Problem(404, "Unknown alias", $"'{pipeline}' has no version with alias '{alias}'.");
    }

    public static Results<Ok<IReadOnlyList<ModelLogEntry>>, ProblemHttpResult> AliasHistory(string pipeline, string alias, RegistryStore registry) =>
        !AliasName().IsMatch(alias) ? Problem(400, "Invalid alias", "Aliases are 1 to 32 characters: lowercase letters, digits and '-', starting with a letter.")
        : TypedResults.Ok<IReadOnlyList<ModelLogEntry>>(registry.Log(pipeline, "alias-moved").Where(e => e.Detail.GetProperty("alias").GetString() == alias).ToList());

    /// <summary>
    /// Moves an alias, with a reason. Moving <c>champion</c> is a promotion: deploy is asked to serve the version, and the alias
    /// moves when it does (202). A version the gate rejected needs an <c>overrideReason</c> as well.
    /// </summary>
    public static async Task<Results<Ok<ModelVersion>, Accepted<ModelVersion>, ProblemHttpResult>> MoveAlias(string pipeline, string alias, AliasMove? move,
        RegistryStore registry, IPublishEndpoint publish, HttpContext http, CancellationToken ct)
    {
        if (!AliasName().IsMatch(alias)) return Problem(400, "Invalid alias", "Aliases are 1 to 32 characters: lowercase letters, digits and '-', starting with a letter.");
        if (move?.Version is not int version) return Problem(400, "Which version?", "Send {\"version\": N, \"reason\": \"why\"}.");
        if (registry.Version(pipeline, version) is not { } target) return NoVersion(pipeline, version);
        if (!HasReason(move.Reason, out var reason)) return ReasonRequired("Moving an alias needs a reason of 1 to 2000 characters.");
        if (!target.Approved && string.IsNullOrWhiteSpace(move.OverrideReason))
            return Problem(409, "Rejected version", $"{pipeline} v{version} was rejected by the gate ({string.Join(" ", target.Reasons)}). Give overrideReason to move '{alias}' to it anyway.");
        var by = Who(move.By, http);
        if (alias == "champion")
        {
            await registry.LogAsync(pipeline, version, "promotion-requested", by, reason, new { alias, from = registry.Champion(pipeline)?.Version, to = version, move.OverrideReason });
            await publish.Publish(new DeploymentRequested(target.RunId, pipeline, version, target.ModelSha256, "promotion", reason, by), ct);
            return TypedResults.Accepted($"/models/{pipeline}/aliases/champion", target);
        }
        var from = registry.VersionsOf(pipeline).FirstOrDefault(v => v.Aliases.Contains(alias))?.Version;
        await registry.SetAliasAsync(pipeline, alias, version);
        await registry.LogAsync(pipeline, version, "alias-moved", by, reason, new { alias, from, to = version, move.OverrideReason });
        return TypedResults.Ok(registry.Version(pipeline, version)!);
    }

    /// <summary>GET /models/{p}/log?kind= — the model's append-only log, oldest first.</summary>
    public static Results<Ok<IReadOnlyList<ModelLogEntry>>, ProblemHttpResult> GetLog(string pipeline, string? kind, RegistryStore registry) =>
        TypedResults.Ok(registry.Log(pipeline, kind));

    /// <summary>GET /models/{p}/served?at=T — which version answered /v2/models/{p}/infer at time T.</summary>
    public static Results<Ok<ServedAnswer>, ProblemHttpResult> Served(string pipeline, string? at, RegistryStore registry)
    {
        if (at is null || !RegistryApi.TryTime(at, out var time)) return Problem(400, "Invalid time", "at must be an ISO 8601 time, e.g. 2026-11-27T14:00:00Z.");
        return registry.ServedAt(pipeline, time!.Value) is { Kind: "deployed", Version: int version } entry
            ? TypedResults.Ok(new ServedAnswer(pipeline, time.Value, version, entry.Detail.GetProperty("runId").GetGuid(), entry.At, entry))
            : Problem(404, "Nothing served", $"No version of '{pipeline}' was serving at {time:O}.");
    }

    /// <summary>POST /models/{p}/rollback — serve the champion before the current one again, in one call.</summary>
    public static async Task<Results<Accepted<ModelVersion>, ProblemHttpResult>> Rollback(string pipeline, CommandRequest? request,
        RegistryStore registry, IPublishEndpoint publish, HttpContext http, CancellationToken ct)
    {
        if (!HasReason(request?.Reason, out var reason)) return ReasonRequired("A rollback needs a reason of 1 to 2000 characters: {\"reason\": \"why\"}.");
        if (registry.Champion(pipeline) is not { } current) return Problem(404, "Nothing to roll back", $"'{pipeline}' has no champion.");
        var previous = registry.Log(pipeline, "deployed").Select(e => e.Version).Where(v => v is not null && v != current.Version).LastOrDefault();
        if (previous is not int version || registry.Version(pipeline, version) is not { } target)
            return Problem(409, "No previous champion", $"'{pipeline}' v{current.Version} is the only version that ever served.");
        var by = Who(request!.By, http);
        await registry.LogAsync(pipeline, version, "rollback-requested", by, reason, new { from = current.Version, to = version });
        await publish.Publish(new DeploymentRequested(target.RunId, pipeline, version, target.ModelSha256, "rollback", reason, by), ct);
        return TypedResults.Accepted($"/models/{pipeline}/aliases/champion", target);
    }

    /// <summary>
    /// POST /models/{p}/retire — stop serving the pipeline's model and unload it (202; deploy answers with ModelRetired, which
    /// logs "retired" and takes the champion alias off). It stays retired until a person promotes a version again.
    /// </summary>
    public static async Task<Results<Accepted<ModelVersion>, ProblemHttpResult>> Retire(string pipeline, CommandRequest? request,
        RegistryStore registry, IPublishEndpoint publish, HttpContext http, CancellationToken ct)
    {
        if (!HasReason(request?.Reason, out var reason)) return ReasonRequired("Retiring a model needs a reason of 1 to 2000 characters: {\"reason\": \"why\", \"by\": \"who\"}.");
        if (registry.Champion(pipeline) is not { } current) return Problem(404, "Nothing to retire", $"'{pipeline}' has no champion: nothing of it is served.");
        var by = Who(request!.By, http);
        await registry.LogAsync(pipeline, current.Version, "retire-requested", by, reason, new { version = current.Version });
        await publish.Publish(new RetirementRequested(current.RunId, pipeline, current.Version, reason, by), ct);
        return TypedResults.Accepted($"/models/{pipeline}/log", current);
    }

    /// <summary>Approves a version the gate rejected. A reason is required; the override is recorded and the version is deployed.</summary>
    public static async Task<Results<Ok<ModelVersion>, ProblemHttpResult>> ForceApprove(string pipeline, int version, CommandRequest? request,
        RegistryStore registry, IPublishEndpoint publish, HttpContext http, CancellationToken ct)
    {
        if (registry.Version(pipeline, version) is not { } v) return NoVersion(pipeline, version);
        if (!HasReason(request?.Reason, out var reason))
            return ReasonRequired("Overriding the gate needs a reason of 1 to 2000 characters: {\"reason\": \"why this version ships anyway\", \"by\": \"who\"}.");
        if (v.Approved) return Problem(409, "Already approved", $"{pipeline} v{version} passed the gate; there is nothing to override.");
        var approved = await registry.ForceApproveAsync(pipeline, version, reason, Who(request!.By, http));
        await publish.Publish(new ModelApproved(v.RunId, pipeline, version, v.ModelSha256, approved.Reasons), ct);
        return TypedResults.Ok(approved);
    }
}
