using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>Starts watching a newly deployed version against its own training data.</summary>
public sealed class ModelDeployedConsumer(Watches watches) : IConsumer<ModelDeployed>
{
    public Task Consume(ConsumeContext<ModelDeployed> context) =>
        watches.WatchAsync(context.Message.Pipeline, context.Message.RunId, context.Message.Version, context.CancellationToken, context.Message.DeployedAt);
}

/// <summary>Queue <c>monitor-model-deployed</c>: fixed here, not derived from where the class lives.</summary>
public sealed class ModelDeployedConsumerDefinition() : StageConsumerDefinition<ModelDeployedConsumer>("monitor", "model-deployed");
