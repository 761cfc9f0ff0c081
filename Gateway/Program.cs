using MlOps.Gateway;
using MlOps.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
if (GatewayRoutes.Unreachable(builder.Configuration) is { Count: > 0 } missing)
    throw new InvalidOperationException(
        $"The gateway has no address for {string.Join(", ", missing)}: set services:{missing[0]}:http:0 (environment services__{missing[0]}__http__0, " +
        "e.g. http://localhost:5101), or start it through the AppHost in distributed mode, which sets every service's address.");
// Each service keeps its own request limits (an upload may be gigabytes): the door adds none of its own.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
builder.Services.AddReverseProxy()
    .LoadFromMemory(GatewayRoutes.RouteConfigs(), GatewayRoutes.ClusterConfigs())
    .AddServiceDiscoveryDestinationResolver();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapReverseProxy();
app.Run();
