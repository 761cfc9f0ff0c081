using MlOps.Deploy;
using MlOps.Ingest;
using MlOps.Monitor;
using MlOps.Registry;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Security;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Train;
using MlOps.Validate;

namespace MlOps.Embedded;

/// <summary>All six stages in one web application, composed from the same code the distributed services run.</summary>
public static class EmbeddedHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        // Secure by default: the app makes its admin key on first start (or reads it back) beside its registry database.
        builder.Configuration["Auth:AdminKeyFile"] ??= AdminKeyFile(builder.Configuration);
        builder.Configuration["Webhooks:SigningSecretFile"] ??= Path.Combine(Path.GetDirectoryName(builder.Configuration["Auth:AdminKeyFile"])!, "webhook.secret");
        builder.AddServiceDefaults();
        builder.AddMlOpsSecurity();
        builder.AddIngest();
        builder.AddValidate();
        builder.AddTrain();
        builder.AddRegistry();
        builder.AddDeploy();
        builder.AddMonitor();
        builder.AddMlOpsMessaging(
            IngestService.Consumers, ValidateService.Consumers, TrainService.Consumers,
            RegistryService.Consumers, DeployService.Consumers, MonitorService.Consumers);

        var app = builder.Build();
        app.UseMlOpsSecurity();
        app.MapIngestApi();
        app.MapValidateApi();
        app.MapRegistryApi();
        app.MapInferenceApi();
        app.MapMonitorApi();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>Where the local admin key is kept: <c>Auth:AdminKeyFile</c>, else <c>admin.key</c> beside the registry database (<c>.mlops/</c>).</summary>
    public static string AdminKeyFile(IConfiguration configuration) => configuration["Auth:AdminKeyFile"] ??
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configuration["Registry:Database"] ?? new RegistryOptions().Database))!, "admin.key");
}
