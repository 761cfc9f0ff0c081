using Microsoft.AspNetCore.Http.HttpResults;

namespace MlOps.Monitor;

public static class MonitorApi
{
    public static RouteGroupBuilder MapMonitorApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/monitor").WithTags("Monitor");
        group.MapGet("/{pipeline}", GetStatus);
        group.MapGet("/{pipeline}/report", GetReportPage);
        return group;
    }

    public static Results<Ok<WatchStatus>, ProblemHttpResult> GetStatus(string pipeline, DriftMonitor monitor) =>
        monitor.Status(pipeline) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.Problem(statusCode: 404, title: "Not watched", detail: $"No deployed model of '{(pipeline.Length > 80 ? pipeline[..80] : pipeline)}' is being watched.");

    /// <summary>The last drift check of the pipeline's serving model, as a page with charts.</summary>
    public static Results<ContentHttpResult, ProblemHttpResult> GetReportPage(string pipeline, DriftMonitor monitor) =>
        monitor.Status(pipeline)?.LastReport is { } report
            ? TypedResults.Content(DriftReportPage.Render(report), "text/html; charset=utf-8")
            : TypedResults.Problem(statusCode: 404, title: "No drift check yet",
                detail: $"'{(pipeline.Length > 80 ? pipeline[..80] : pipeline)}' has no drift check yet: one runs once drift.minSamples live rows have been served.");
}
