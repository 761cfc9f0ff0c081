using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// The monitor: watches each serving model (Watching/), checks its live inputs for drift (Drift/), takes ground truth for its
/// answers (Feedback/), and asks for retrains when a trigger fires (Triggers/: schedule, age, drift, performance, volume).
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
        builder.Services.AddHostedService<WatchRestorer>();
        builder.Services.AddSingleton<Consumers.AlertThrottle>();
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelDeployedConsumer, ModelDeployedConsumerDefinition>();
        x.AddConsumer<ModelRetiredConsumer, ModelRetiredConsumerDefinition>();
        x.AddConsumer<PredictionsServedConsumer, PredictionsServedConsumerDefinition>();
        x.AddConsumer<AlertConsumer, AlertConsumerDefinition>();
    }
}
