using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>
/// On the pipeline's partition queue: stops watching a pipeline whose model was retired (a person's promotion serves it, and
/// starts the watch, again).
/// </summary>
public sealed class ModelRetiredConsumer(MonitorPartitions partitions, Watches watches) : IConsumer<ModelRetired>
{
    public async Task Consume(ConsumeContext<ModelRetired> context)
    {
        await partitions.OwnAsync(context.Message.Pipeline, context.CancellationToken);
        await watches.UnwatchAsync(context.Message.Pipeline, context.CancellationToken);
    }
}

/// <summary>Queue <c>monitor-model-retired</c>, shared by every replica: sends each retirement on to its pipeline's partition queue.</summary>
public sealed class ModelRetiredRouter(MonitorPartitions partitions) : PartitionRouter<ModelRetired>(partitions);

public sealed class ModelRetiredRouterDefinition() : StageConsumerDefinition<ModelRetiredRouter>("monitor", "model-retired");
