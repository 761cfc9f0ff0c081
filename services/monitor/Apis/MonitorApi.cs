using MlOps.ServiceDefaults;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Monitor;

public static class MonitorApi
{
    public static RouteGroupBuilder MapMonitorApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/monitor").WithTags("Monitor").ValidatePipelineNames();
        group.MapGet("", (MonitorPartitions partitions) => TypedResults.Ok(new
        {
            instance = MonitorPartitions.Instance, partitions = partitions.Count, owned = partitions.Owned, replicas = partitions.Replicas,
        })); // which partitions this replica owns, among which replicas
        group.MapGet("/{pipeline}", GetStatus);
        group.MapGet("/{pipeline}/report", GetReportPage);
        group.MapPost("/{pipeline}/feedback", PostFeedback).Requires(Roles.Labeler).RequireRateLimiting("Feedback");
        return group;
    }

    /// <summary>How long a question waits for the replica that owns the pipeline (it may first read the partition back from the store).</summary>
    static readonly RequestTimeout OwnerTimeout = RequestTimeout.After(s: 30);

    static ProblemHttpResult NoOwner(string pipeline) => TypedResults.Problem(statusCode: 503, title: "No monitor owns this pipeline right now",
        detail: $"No monitor replica answered for '{Clip(pipeline)}' within {OwnerTimeout.Value.TotalSeconds:0} s (its partition queue has no active consumer). Try again in a few seconds; if it lasts, check that monitor runs.");

    static string Clip(string pipeline) => pipeline.Length > 80 ? pipeline[..80] : pipeline;

    /// <summary>The pipeline's watch, as the replica that owns it (on any replica: the question goes to its partition queue).</summary>
    static async Task<WatchStatus?> StatusAsync(string pipeline, MonitorPartitions partitions, IClientFactory clients, CancellationToken ct) =>
        (await clients.CreateRequestClient<WatchStatusAsked>(partitions.Address(pipeline), OwnerTimeout)
            .GetResponse<WatchStatusAnswer>(new WatchStatusAsked(pipeline), ct)).Message.Status;

    public static async Task<Results<Ok<WatchStatus>, ProblemHttpResult>> GetStatus(string pipeline, MonitorPartitions partitions, IClientFactory clients, CancellationToken ct)
    {
        try
        {
            return await StatusAsync(pipeline, partitions, clients, ct) is { } status
                ? TypedResults.Ok(status)
                : TypedResults.Problem(statusCode: 404, title: "Not watched", detail: $"No deployed model of '{Clip(pipeline)}' is being watched.");
        }
        catch (RequestTimeoutException)
        {
            return NoOwner(pipeline);
        }
    }

    /// <summary>The last drift check of the pipeline's serving model, as a page with charts.</summary>
    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetReportPage(string pipeline, MonitorPartitions partitions, IClientFactory clients, CancellationToken ct)
    {
        try
        {
            return (await StatusAsync(pipeline, partitions, clients, ct))?.LastReport is { } report
                ? TypedResults.Content(DriftReportPage.Render(report), "text/html; charset=utf-8")
                : TypedResults.Problem(statusCode: 404, title: "No drift check yet",
                    detail: $"'{Clip(pipeline)}' has no drift check yet: one runs once drift.minSamples live rows have been served.");
        }
        catch (RequestTimeoutException)
        {
            return NoOwner(pipeline);
        }
    }

    /// <summary>
    /// POST ground truth: {"items": [{"predictionId": "…", "label": …}]} (up to 10,000), or one {"predictionId", "label"}.
    /// 200 with what was accepted and why anything was not; 422 when nothing was; 400 for a body that is not that shape.
    /// A performance drop or a reached data volume publishes its event and retrain request.
    /// </summary>
    public static async Task<Results<Ok<FeedbackResult>, UnprocessableEntity<FeedbackResult>, ProblemHttpResult>> PostFeedback(
        string pipeline, HttpRequest request, MonitorPartitions partitions, IClientFactory clients, CancellationToken ct)
    {
        List<FeedbackItem> items;
        try
        {
            var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            var root = body.RootElement;
            var list = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("items", out var many) && many.ValueKind == JsonValueKind.Array
                ? many.EnumerateArray().ToList()
                : root.ValueKind == JsonValueKind.Object ? [root] : throw new JsonException("not an object");
            items = list.Select(e => new FeedbackItem(
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty("predictionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty("label", out var label) ? label.Clone() : NoLabel)).ToList();
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Not feedback", detail: $"Send {{\"items\": [{{\"predictionId\": \"…\", \"label\": …}}]}}: {e.Message}");
        }
        if (items.Count is 0 or > 10_000)
            return TypedResults.Problem(statusCode: 400, title: "Not feedback", detail: "Send 1 to 10,000 items.");
        FeedbackResult result;
        try
        {
            // Taken by the replica that owns the pipeline, where its served rows, labels and windows are.
            result = (await clients.CreateRequestClient<FeedbackSubmitted>(partitions.Address(pipeline), OwnerTimeout)
                .GetResponse<FeedbackAnswer>(new FeedbackSubmitted(pipeline, items), ct)).Message.Result;
        }
        catch (RequestTimeoutException)
        {
            return NoOwner(pipeline);
        }
        return result.Accepted == 0 ? TypedResults.UnprocessableEntity(result) : TypedResults.Ok(result);
    }

    /// <summary>An item without a label carries JSON null (a message cannot carry an undefined value); it is refused like any other non-label.</summary>
    static readonly JsonElement NoLabel = JsonDocument.Parse("null").RootElement.Clone();
}
