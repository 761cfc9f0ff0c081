using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>On the pipeline's partition queue: starts watching a newly deployed version against its own training data.</summary>
public sealed class ModelDeployedConsumer(MonitorPartitions partitions, Watches watches) : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context)
    {
        await partitions.OwnAsync(context.Message.Pipeline, context.CancellationToken);
        await watches.WatchAsync(context.Message.Pipeline, context.Message.RunId, context.Message.Version, context.CancellationToken, context.Message.DeployedAt, context.Message.Spec);
    }
}

/// <summary>Queue <c>monitor-model-deployed</c>, shared by every replica: sends each deployment on to its pipeline's partition queue.</summary>
public sealed class ModelDeployedRouter(MonitorPartitions partitions) : PartitionRouter<ModelDeployed>(partitions);

public sealed class ModelDeployedRouterDefinition() : StageConsumerDefinition<ModelDeployedRouter>("monitor", "model-deployed");
