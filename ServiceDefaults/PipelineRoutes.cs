using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MlOps.Contracts;

namespace MlOps.ServiceDefaults;

/// <summary>
/// Every route with a <c>{pipeline}</c> segment takes only a pipeline name (<see cref="PipelineName"/>): checked once, for
/// every endpoint of a group, before its handler runs, and refused with one 400 ProblemDetails whichever service answers.
/// </summary>
public static class PipelineRoutes
{
    public static RouteGroupBuilder ValidatePipelineNames(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
        context.HttpContext.Request.RouteValues.TryGetValue("pipeline", out var value) && !PipelineName.IsValid(value as string)
            ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid pipeline name",
                detail: $"'{Shorten(value as string ?? "")}' is not a pipeline name. Pipeline names are {PipelineName.Rule}.")
            : await next(context));

    static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
