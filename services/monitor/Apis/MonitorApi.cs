using Microsoft.AspNetCore.Http.HttpResults;

namespace MlOps.Monitor;

public static class MonitorApi
{
    public static RouteGroupBuilder MapMonitorApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/monitor").WithTags("Monitor");
        group.MapGet("/{pipeline}", GetStatus);
        return group;
    }

    public static Results<Ok<WatchStatus>, ProblemHttpResult> GetStatus(string pipeline, DriftMonitor monitor) =>
        monitor.Status(pipeline) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.Problem(statusCode: 404, title: "Not watched", detail: $"No deployed model of '{(pipeline.Length > 80 ? pipeline[..80] : pipeline)}' is being watched.");
}
