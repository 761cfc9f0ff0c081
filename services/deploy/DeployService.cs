using MassTransit;
using MlOps.Deploy.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Deploy;

/// <summary>The deploy stage: loads approved models with ONNX Runtime and serves them over the Open Inference Protocol V2.</summary>
public static class DeployService
{
    public static IHostApplicationBuilder AddDeploy(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<DeployOptions>().BindConfiguration("Deploy").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddSingleton<DeploymentStore>();
        builder.Services.AddSingleton<RolloutBoard>();
        builder.Services.AddSingleton<ServingTable>();
        builder.Services.AddSingleton<PredictionLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PredictionLog>());
        builder.Services.AddHostedService<DeploymentRestorer>();
        builder.Services.AddSingleton<RolloutTotals>();
        builder.Services.AddHostedService<RolloutReporter>();
        builder.Services.AddSingleton<ShadowScorer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ShadowScorer>());
        builder.Services.AddHealthChecks().AddCheck<ExecutionProviderHealthCheck>("execution-provider")
            .AddCheck<RestoredHealthCheck>("deployments-restored");
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelApprovedConsumer, ModelApprovedConsumerDefinition>();
        x.AddConsumer<DeploymentRequestedConsumer, DeploymentRequestedConsumerDefinition>();
        x.AddConsumer<PerformanceDroppedConsumer, PerformanceDroppedConsumerDefinition>();
        x.AddConsumer<RetirementRequestedConsumer, RetirementRequestedConsumerDefinition>();
        x.AddConsumer<DeploymentChangedConsumer, DeploymentChangedConsumerDefinition>();
        x.AddConsumer<RolloutCountedConsumer, RolloutCountedConsumerDefinition>();
    }
}
