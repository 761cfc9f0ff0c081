using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

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
        builder.Services.AddHostedService<PartitionTicker>();
        var partitions = builder.Configuration.GetValue<int?>("Monitor:Partitions") ?? new MonitorOptions().Partitions;
        builder.Services.AddSingleton<IBusEndpoints>(new PartitionEndpoints(Math.Clamp(partitions, 1, 256)));
        builder.Services.AddSingleton<Consumers.AlertThrottle>();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelDeployedRouter, ModelDeployedRouterDefinition>();
        x.AddConsumer<ModelRetiredRouter, ModelRetiredRouterDefinition>();
        x.AddConsumer<PredictionsServedRouter, PredictionsServedRouterDefinition>();
        x.AddConsumer<AlertConsumer, AlertConsumerDefinition>();
        PartitionEndpoints.Consumers(x);
    }
}
