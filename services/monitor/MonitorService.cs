using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>The monitor: compares what deployed models see with what they were trained on, and starts a retrain on drift.</summary>
public static class MonitorService
{
    public static IHostApplicationBuilder AddMonitor(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddSingleton<DriftMonitor>();
        builder.Services.AddSingleton<FeedbackBook>();
        builder.Services.AddHostedService<RetrainScheduler>();
        builder.Services.AddHostedService<WatchRestorer>();
        builder.Services.AddSingleton<Consumers.AlertThrottle>();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelDeployedConsumer>();
        x.AddConsumer<ModelRetiredConsumer>();
        x.AddConsumer<PredictionsServedConsumer>();
        x.AddConsumer<AlertConsumer>();
    }
}
