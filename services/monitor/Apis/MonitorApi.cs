using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.Contracts;

namespace MlOps.Monitor;

public static class MonitorApi
{
    public static RouteGroupBuilder MapMonitorApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/monitor").WithTags("Monitor");
        group.MapGet("/{pipeline}", GetStatus);
        group.MapGet("/{pipeline}/report", GetReportPage);
        group.MapPost("/{pipeline}/feedback", PostFeedback);
        return group;
    }

    public static Results<Ok<WatchStatus>, ProblemHttpResult> GetStatus(string pipeline, Watches monitor) =>
        monitor.Status(pipeline) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.Problem(statusCode: 404, title: "Not watched", detail: $"No deployed model of '{(pipeline.Length > 80 ? pipeline[..80] : pipeline)}' is being watched.");

    /// <summary>The last drift check of the pipeline's serving model, as a page with charts.</summary>
    public static Results<ContentHttpResult, ProblemHttpResult> GetReportPage(string pipeline, Watches monitor) =>
        monitor.Status(pipeline)?.LastReport is { } report
            ? TypedResults.Content(DriftReportPage.Render(report), "text/html; charset=utf-8")
            : TypedResults.Problem(statusCode: 404, title: "No drift check yet",
                detail: $"'{(pipeline.Length > 80 ? pipeline[..80] : pipeline)}' has no drift check yet: one runs once drift.minSamples live rows have been served.");

    /// <summary>
    /// POST ground truth: {"items": [{"predictionId": "…", "label": …}]} (up to 10,000), or one {"predictionId", "label"}.
    /// 200 with what was accepted and why anything was not; 422 when nothing was; 400 for a body that is not that shape.
    /// A performance drop or a reached data volume publishes its event and retrain request.
    /// </summary>
    public static async Task<Results<Ok<FeedbackResult>, UnprocessableEntity<FeedbackResult>, ProblemHttpResult>> PostFeedback(
        string pipeline, HttpRequest request, FeedbackBook book, IPublishEndpoint publish, CancellationToken ct)
    {
        if (!PipelineName.IsValid(pipeline)) return TypedResults.Problem(statusCode: 400, title: "Invalid pipeline name", detail: $"Pipeline names are {PipelineName.Rule}.");
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
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty("label", out var label) ? label.Clone() : default)).ToList();
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Not feedback", detail: $"Send {{\"items\": [{{\"predictionId\": \"…\", \"label\": …}}]}}: {e.Message}");
        }
        if (items.Count is 0 or > 10_000)
            return TypedResults.Problem(statusCode: 400, title: "Not feedback", detail: "Send 1 to 10,000 items.");
        var (result, actions) = await book.AddAsync(pipeline, items, ct);
        foreach (var drop in actions.Drops) await publish.Publish(drop, ct);
        foreach (var retrain in actions.Retrains) await publish.Publish(retrain, ct);
        return result.Accepted == 0 ? TypedResults.UnprocessableEntity(result) : TypedResults.Ok(result);
    }
}
