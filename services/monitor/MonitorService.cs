using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// The monitor: watches each serving model (Watching/), checks its live inputs for drift (Drift/), takes ground truth for its
/// answers (Feedback/), and asks for retrains when a trigger fires (Triggers/: schedule, age, drift, performance, volume);
/// its pipelines are divided among its replicas (Partitions/).
/// </summary>
public static class MonitorService
{
    public static IHostApplicationBuilder AddMonitor(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<MonitorOptions>().BindConfiguration("Monitor").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Watches>();
        builder.Services.AddSingleton<DriftMonitor>();
        builder.Services.AddSingleton<ServedLog>();
        builder.Services.AddSingleton<FeedbackLedger>();
        builder.Services.AddSingleton<FeedbackBook>();
        builder.Services.AddHostedService<RetrainScheduler>();
        builder.Services.AddSingleton<MonitorPartitions>();
        builder.Services.AddSingleton<PartitionConsumers>();
        builder.Services.AddHostedService<PartitionTicker>();
        builder.Services.AddSingleton<Consumers.AlertThrottle>();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelDeployedRouter, ModelDeployedRouterDefinition>();
        x.AddConsumer<ModelRetiredRouter, ModelRetiredRouterDefinition>();
        x.AddConsumer<PredictionsServedRouter, PredictionsServedRouterDefinition>();
        x.AddConsumer<AlertConsumer, AlertConsumerDefinition>();
        x.AddConsumer<MonitorAliveConsumer, MonitorAliveConsumerDefinition>();
        PartitionConsumers.Consumers(x);
    }
}
