using MlOps.Deploy;
using MlOps.Ingest;
using MlOps.Monitor;
using MlOps.Registry;
using MlOps.ServiceDefaults;
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
        builder.AddServiceDefaults();
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
        app.MapIngestApi();
        app.MapValidateApi();
        app.MapRegistryApi();
        app.MapInferenceApi();
        app.MapMonitorApi();
        app.MapDefaultEndpoints();
        return app;
    }
}
