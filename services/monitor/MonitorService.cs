using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;

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
        // Webhook calls go only where WebhookPolicy allows, checked on the address each connection really uses; a refused
        // host is not retried (it would be refused again).
        builder.Services.AddHttpClient(AlertConsumer.Client).ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<WebhookPolicy>().Handler());
        builder.Services.Configure<Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions>($"{AlertConsumer.Client}-standard", o =>
        {
            var transient = o.Retry.ShouldHandle;
            o.Retry.ShouldHandle = args => args.Outcome.Exception is WebhookRefusedException ? ValueTask.FromResult(false) : transient(args);
        });
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
