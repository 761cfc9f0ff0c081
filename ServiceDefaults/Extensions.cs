using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MlOps.ServiceDefaults;

/// <summary>Hosting concerns every MlOps service shares: telemetry, health, service discovery, resilience, OpenAPI.</summary>
public static class Extensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // First: with Dapr, the connection strings and keys every later step reads come from its secret store.
        Secrets.DaprSecrets.AddDaprSecrets(builder);
        builder.ConfigureOpenTelemetry();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddProblemDetails();
        // The API speaks the same JSON as the artifacts: camelCase, enums as strings.
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        builder.Services.AddOpenApi();
        return builder;
    }

    static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MlOps")
                .AddMeter(Artifacts.StoreCalls.MeterName))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MlOps")
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments("/health") && !ctx.Request.Path.StartsWithSegments("/alive"))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>
    /// /health as JSON: the overall status and each check's status, description and data (e.g. deploy's execution provider and
    /// why it was chosen), so a person or a probe sees what is unhealthy and why, not just "Unhealthy".
    /// </summary>
    static Task WriteHealthAsync(Microsoft.AspNetCore.Http.HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.ToDictionary(d => d.Key, d => d.Value?.ToString()),
            }),
        }, cancellationToken: context.RequestAborted);
    }

    /// <summary>
    /// Maps <c>/health</c> (everything, readiness) and <c>/alive</c> (liveness only) and the OpenAPI document; and answers
    /// any error no endpoint handled with a ProblemDetails carrying the trace ID (never an empty 500): the framework's own status
    /// for a request it could not read, 503 when a service the request needs is out of reach (<see cref="Messaging.TransientFailure"/>:
    /// the store, the broker, the database), 500 otherwise.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A request the framework could not read (malformed JSON for a bound body, …) keeps its own status (400, 413).
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode
                : Messaging.TransientFailure.Is(e) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
        });
        // An error with no body of its own (an unknown path, a method the path does not take) gets a ProblemDetails too.
        app.UseStatusCodePages();
        // A request that may start or change a run counts its own store calls: an upload's travel on the DataArrived it
        // publishes (StoreCalls). Reads and inference (/v2) start none, and the serving path pays nothing for it.
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                && !context.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal))
                Artifacts.StoreCalls.Begin();
            await next(context);
        });
        // Probes are open (Kubernetes and load balancers send no credentials); everything else needs a role (Security/).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync }).AllowAnonymous();
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") }).AllowAnonymous();
        app.MapOpenApi();
        return app;
    }
}
