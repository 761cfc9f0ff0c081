using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace MlOps.Gateway;

/// <summary>
/// Which service answers which path, in one place: the same paths the embedded app answers at its one address, so the
/// README's walk-through runs unchanged against either mode. Each service is reached by its Aspire name through service
/// discovery (<c>services:{name}:http:0</c>, which the AppHost sets; with replicas, Aspire's proxy spreads the requests).
/// </summary>
public static class GatewayRoutes
{
    /// <summary>Path prefix → service. The registry also answers <c>/</c> (a redirect to the console) and everything unlisted.</summary>
    public static readonly IReadOnlyList<(string Path, string Service)> Routes =
    [
        ("/pipelines", "ingest"),
        ("/validation", "validate"),
        ("/v2", "deploy"),
        ("/monitor", "monitor"),
        ("/models", "registry"),
        ("/lineage", "registry"),
        ("/runs", "registry"),
        ("/console", "registry"),
        ("/login", "registry"),
    ];

    public static IReadOnlyList<string> Services => [.. Routes.Select(r => r.Service).Append("registry").Distinct()];

    public static IReadOnlyList<RouteConfig> RouteConfigs() =>
    [
        .. Routes.Select(r => new RouteConfig
        {
            RouteId = r.Path.TrimStart('/'), ClusterId = r.Service,
            Match = new RouteMatch { Path = r.Path + "/{**rest}" },
        }),
        .. Routes.Select(r => new RouteConfig
        {
            RouteId = r.Path.TrimStart('/') + "-root", ClusterId = r.Service,
            Match = new RouteMatch { Path = r.Path },
        }),
        new RouteConfig { RouteId = "root", ClusterId = "registry", Match = new RouteMatch { Path = "/" } },
    ];

    public static IReadOnlyList<ClusterConfig> ClusterConfigs() =>
    [
        .. Services.Select(s => new ClusterConfig
        {
            ClusterId = s,
            Destinations = new Dictionary<string, DestinationConfig> { [s] = new() { Address = $"http://{s}" } },
            // With several addresses for a service (services:{name}:http:0, :1 …), a replica that stops answering /health is
            // left out within seconds, and one whose requests fail is left out at once until it answers again.
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig { Enabled = true, Interval = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(2), Path = "/health" },
                Passive = new PassiveHealthCheckConfig { Enabled = true, ReactivationPeriod = TimeSpan.FromSeconds(10) },
            },
        }),
    ];

    /// <summary>
    /// The services with no address in configuration: a route to one would answer 502 on every request, so the gateway
    /// refuses to start instead, naming the setting.
    /// </summary>
    public static IReadOnlyList<string> Unreachable(IConfiguration configuration) =>
        [.. Services.Where(s => !configuration.GetSection($"services:{s}").GetChildren().Any(e => e.GetChildren().Any(a => !string.IsNullOrWhiteSpace(a.Value))))];
}
