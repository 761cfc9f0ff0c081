using MlOps.ServiceDefaults;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;
using MassTransit;

namespace MlOps.Registry;

/// <summary>Why a run is cancelled (optional; up to 2000 characters).</summary>
public record CancelRequest(string? Reason);

/// <summary>A run with its model version, its timeline, how long each stage took, and every artifact key.</summary>
public record RunDetail(RunRecord Run, ModelVersion? Version, IReadOnlyList<RunEvent> Events, IReadOnlyList<StageTiming> Stages, IReadOnlyList<string> Artifacts,
    Orchestration? Orchestration = null, RunStoreCalls? StoreCalls = null);

/// <summary>
/// The object-store calls the run cost, as the events of its timeline say (each stage's calls for the run up to the event it
/// published; the upload's on DataArrived): in all, by operation (get, head, put, list, delete, bucket) and by event.
/// On a cluster each is a network round trip. Null for a run whose events carry none (recorded by an older MlOps).
/// </summary>
public record RunStoreCalls(long Total, IReadOnlyDictionary<string, long> ByOperation, IReadOnlyDictionary<string, long> ByEvent)
{
    public static RunStoreCalls? Of(IReadOnlyList<RunEvent> events)
    {
        var counted = events.Where(e => e.StoreCalls is not null).ToList();
        if (counted.Count == 0) return null;
        var byOperation = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var byEvent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in counted)
        {
            foreach (var (operation, n) in e.StoreCalls!)
            {
                byOperation[operation] = byOperation.GetValueOrDefault(operation) + n;
                byEvent[e.Kind] = byEvent.GetValueOrDefault(e.Kind) + n;
            }
        }
        return new RunStoreCalls(byOperation.Values.Sum(), byOperation, byEvent);
    }
}

/// <summary>
/// An event of the run's timeline: when it was recorded, since the first and since the one before, and (where the event
/// says) how long the stage that published it worked on the run before publishing it.
/// </summary>
public record StageTiming(string Event, DateTimeOffset At, double SecondsSinceStart, double SecondsSincePrevious, double? StageSeconds = null);

/// <summary>
/// Where a deployed run's time went, from its data's arrival (DataArrived sent) to serving (ModelDeployed sent): the stages'
/// own work (validate, train, the gate, deploy: each from being handed the run's message to publishing the next event,
/// their store reads and writes included) and the rest, the orchestration's cost (queues, broker hops, dispatch).
/// </summary>
public record Orchestration(double ArrivedToDeployedSeconds, double StagesSeconds, double OverheadSeconds, IReadOnlyDictionary<string, double> Stages)
{
    public static Orchestration? Of(IReadOnlyList<RunEvent> events)
    {
        var arrived = events.FirstOrDefault(e => e.Kind == nameof(DataArrived))?.SentAt;
        var deployed = events.LastOrDefault(e => e.Kind == nameof(ModelDeployed));
        if (arrived is null || deployed?.SentAt is null) return null;
        var stages = new Dictionary<string, double>();
        foreach (var e in events.Where(e => e.StageSeconds is not null && e.SentAt > arrived && e.SentAt <= deployed.SentAt))
            stages[e.Kind] = stages.GetValueOrDefault(e.Kind) + e.StageSeconds!.Value;
        var total = (deployed.SentAt.Value - arrived.Value).TotalSeconds;
        var work = stages.Values.Sum();
        return new Orchestration(Math.Round(total, 6), Math.Round(work, 6), Math.Round(total - work, 6), stages);
    }
}

/// <summary>
/// Runs side by side: the parameters each was made with and the metrics it reached. <see cref="Hyperparameters"/> are those the
/// trainer ran with (the model card's, defaults included) once the run has trained, the spec's until then.
/// </summary>
public record RunComparison(Guid RunId, string Pipeline, string Status, string? Trigger, string? DatasetSha256, string? SpecSha256, string? CodeVersion,
    int? Seed, string? Trainer, IReadOnlyDictionary<string, double> Hyperparameters, string? Task, int? Version, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Experiment tracking: runs, filtered and compared.</summary>
public static class RegistryApi
{

    public static RouteGroupBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Registry: runs").ValidatePipelineNames();
        group.MapGet("/runs", ListRuns);
        group.MapGet("/runs/compare", CompareRuns);
        group.MapGet("/runs/{runId:guid}", GetRun);
        group.MapGet("/runs/{runId:guid}/html", GetRunPage).ExcludeFromDescription();
        group.MapPost("/runs/{runId:guid}/cancel", CancelRun)
            .Requires(Roles.Author, Roles.Approver).RequireRateLimiting("Commands");
        group.MapGet("/console", ConsoleIndex).ExcludeFromDescription();
        group.MapGet("/", () => TypedResults.Redirect("/console")).ExcludeFromDescription(); // a person opening the address lands on the console
        group.MapGet("/console/{pipeline}", Console).ExcludeFromDescription();
        app.MapModelsApi();
        app.MapLineageApi();
        return group;
    }

    /// <summary>GET /console/{pipeline}: the pipeline's live page (<see cref="ConsolePage"/>).</summary>
    public static IResult Console(string pipeline, RegistryStore registry, TimeProvider clock)
    {
        var runs = registry.Runs(pipeline, null, 30);
        var versions = registry.VersionsOf(pipeline);
        if (runs.Count == 0 && versions.Count == 0)
            return TypedResults.Problem(statusCode: 404, title: "Unknown pipeline", detail: $"'{pipeline}' has no runs yet: upload a dataset (POST /pipelines/{pipeline}/datasets).");
        return TypedResults.Content(ConsolePage.Render(pipeline, runs, versions, registry.Champion(pipeline), registry.IsRetired(pipeline), clock.GetUtcNow()),
            "text/html; charset=utf-8");
    }

    /// <summary>GET /console: every pipeline with recent runs, linking to its page.</summary>
    public static IResult ConsoleIndex(RegistryStore registry) =>
        TypedResults.Content(ConsolePage.RenderIndex(registry.Runs(null, null, 1000).GroupBy(r => r.Pipeline).Select(g => g.First())
            .OrderBy(r => r.Pipeline, StringComparer.Ordinal).ToList()), "text/html; charset=utf-8");

    static ProblemHttpResult Invalid(string detail) => TypedResults.Problem(statusCode: 400, title: "Invalid filter", detail: detail);

    /// <summary>GET /runs?pipeline=&amp;status=&amp;trigger=&amp;from=&amp;to=&amp;limit= (times in ISO 8601).</summary>
    public static Results<Ok<IReadOnlyList<RunRecord>>, ProblemHttpResult> ListRuns(RegistryStore registry, string? pipeline, string? status, string? trigger,
        string? from, string? to, string? limit)
    {
        if (pipeline is not null && !PipelineName.IsValid(pipeline)) return Invalid($"pipeline must be {PipelineName.Rule}.");
        if (status is not null && !RunLifecycle.TryParse(status, out _))
            return Invalid($"status must be one of {string.Join(", ", RunLifecycle.All.Select(s => s.Name()))}.");
        if (trigger is not null && !Enum.TryParse<Trigger>(trigger, ignoreCase: true, out _))
            return Invalid($"trigger must be one of {string.Join(", ", Enum.GetNames<Trigger>())}.");
        if (!TryTime(from, out var since)) return Invalid("from must be an ISO 8601 time, e.g. 2026-11-27T14:00:00Z.");
        if (!TryTime(to, out var until)) return Invalid("to must be an ISO 8601 time, e.g. 2026-11-27T15:00:00Z.");
        var n = 100;
        if (limit is not null && (!int.TryParse(limit, CultureInfo.InvariantCulture, out n) || n is < 1 or > 1000)) return Invalid("limit must be a whole number from 1 to 1000.");
        var triggerName = trigger is null ? null : Enum.Parse<Trigger>(trigger, ignoreCase: true).ToString();
        return TypedResults.Ok(registry.Runs(pipeline, status, n, triggerName, since, until));
    }

    internal static bool TryTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (text is null) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return false;
        time = t;
        return true;
    }

    public static Results<Ok<RunDetail>, ProblemHttpResult> GetRun(Guid runId, RegistryStore registry)
    {
        if (registry.Run(runId) is not { } run)
            return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {runId:N} is recorded (yet).");
        return TypedResults.Ok(Detail(run, registry));
    }

    /// <summary>The run from the registry alone: its artifacts are read off its timeline (<see cref="ArtifactKeys.StoredBefore"/>), not listed from the store.</summary>
    static RunDetail Detail(RunRecord run, RegistryStore registry)
    {
        var events = registry.Events(run.RunId);
        var stages = events.Select((e, i) => new StageTiming(e.Kind, e.At, (e.At - events[0].At).TotalSeconds,
            i == 0 ? 0 : (e.At - events[i - 1].At).TotalSeconds, e.StageSeconds)).ToList();
        // The uploaded original a dataset was converted from is named by the manifest DataArrived carries.
        var source = events.Where(e => e.Kind == nameof(DataArrived))
            .Select(e => e.Detail.Deserialize<DataArrived>(ArtifactStoreJson.Options)?.Manifest?.Source?.Key)
            .Where(k => k?.StartsWith(ArtifactKeys.Run(run.RunId), StringComparison.Ordinal) == true).Select(k => k!);
        var artifacts = events.SelectMany(e => ArtifactKeys.StoredBefore(run.RunId, e.Kind)).Concat(source)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return new RunDetail(run, registry.VersionOfRun(run.RunId), events, stages, artifacts, Orchestration.Of(events), RunStoreCalls.Of(events));
    }

    /// <summary>
    /// POST /runs/{id}/cancel: the cancellation marker goes into the store first (every stage looks for it before starting
    /// work), then RunCancelled, which the timeline records as the run's end. 409 for a run that has already ended.
    /// </summary>
    public static async Task<Results<Accepted<RunRecord>, ProblemHttpResult>> CancelRun(Guid runId, CancelRequest? request, HttpContext http,
        RegistryStore registry, IArtifactStore store, IPublishEndpoint publish, TimeProvider clock, CancellationToken ct)
    {
        if (registry.Run(runId) is not { } run)
            return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {runId:N} is recorded (yet).");
        if (!RunLifecycle.Of(run.State).Cancellable)
            return TypedResults.Problem(statusCode: 409, title: "The run has ended",
                detail: $"Run {runId:N} is {run.Status}: only a run still {string.Join(", ", RunLifecycle.All.Where(s => RunLifecycle.Of(s).Cancellable).Select(s => s.Name()))} can be cancelled.");
        var reason = request?.Reason?.Trim() is { Length: > 0 and <= 2000 } given ? given : "cancelled through the API";
        var cancelled = new RunCancelled(runId, run.Pipeline, Actor.Of(http.User), reason, clock.GetUtcNow());
        await store.PutJsonAsync(ArtifactKeys.Cancelled(runId), cancelled, ct);
        await publish.Publish(cancelled, ct);
        return TypedResults.Accepted($"/runs/{runId:N}", run);
    }

    /// <summary>GET /runs/{id}/html: the run as a page (<see cref="ConsolePage.RenderRun"/>).</summary>
    public static IResult GetRunPage(Guid runId, RegistryStore registry, TimeProvider clock)
    {
        if (registry.Run(runId) is not { } run)
            return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {runId:N} is recorded (yet).");
        var detail = Detail(run, registry);
        var stages = detail.Stages.Select(s => (s.Event, s.SecondsSinceStart - s.SecondsSincePrevious, s.SecondsSincePrevious, s.StageSeconds)).ToList();
        return TypedResults.Content(ConsolePage.RenderRun(run, detail.Version, stages, detail.Orchestration, detail.Artifacts, clock.GetUtcNow()), "text/html; charset=utf-8");
    }

    /// <summary>GET /runs/compare?ids=a,b,c — two to twenty runs, parameters and metrics side by side.</summary>
    public static async Task<Results<Ok<IReadOnlyList<RunComparison>>, ProblemHttpResult>> CompareRuns(string? ids, RegistryStore registry, IArtifactStore store, CancellationToken ct)
    {
        var parts = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length is < 2 or > 20 || parts.Any(p => !Guid.TryParse(p, out _)))
            return Invalid("ids must list 2 to 20 run IDs separated by commas.");
        var result = new List<RunComparison>();
        foreach (var id in parts.Select(Guid.Parse).Distinct())
        {
            if (registry.Run(id) is not { } run) return TypedResults.Problem(statusCode: 404, title: "Unknown run", detail: $"No run {id:N} is recorded.");
            var spec = await store.TryGetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(id), ct);
            var card = await store.TryGetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(id), ct);
            var version = registry.VersionOfRun(id);
            result.Add(new RunComparison(id, run.Pipeline, run.Status, run.Trigger, run.DatasetSha256, run.SpecSha256, run.CodeVersion, run.Seed,
                spec?.Trainer.Name, card?.Hyperparameters ?? spec?.Trainer.Hyperparameters ?? [], spec?.Task.ToString(), version?.Version,
                version?.Metrics ?? new Dictionary<string, double>()));
        }
        return TypedResults.Ok<IReadOnlyList<RunComparison>>(result);
    }
}
