using Microsoft.AspNetCore.Http.HttpResults;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Validate;

public static class ValidateApi
{
    public static RouteGroupBuilder MapValidateApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/validation").WithTags("Validate");
        group.MapGet("/{runId:guid}", GetReport);
        group.MapGet("/{runId:guid}/html", GetReportPage);
        return group;
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetReport(Guid runId, IArtifactStore store, CancellationToken ct) =>
        await Open(store, ArtifactKeys.Validation(runId), "application/json", runId, ct);

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetReportPage(Guid runId, IArtifactStore store, CancellationToken ct) =>
        await Open(store, ArtifactKeys.ValidationHtml(runId), "text/html; charset=utf-8", runId, ct);

    static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Open(IArtifactStore store, string key, string type, Guid runId, CancellationToken ct)
    {
        try
        {
            return TypedResults.Stream(await store.OpenReadAsync(key, ct), type);
        }
        catch (ArtifactNotFoundException)
        {
            return TypedResults.Problem(statusCode: 404, title: "No validation report",
                detail: $"Run {runId:N} has no validation report (yet). A run is validated seconds after its upload; check GET /runs/{runId:N}.");
        }
    }
}
