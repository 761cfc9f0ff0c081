using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>Stops watching a pipeline whose model was retired (a person's promotion serves it, and starts the watch, again).</summary>
public sealed class ModelRetiredConsumer(Watches watches) : IConsumer<ModelRetired>
{
    public Task Consume(ConsumeContext<ModelRetired> context) => watches.UnwatchAsync(context.Message.Pipeline, context.CancellationToken);
}

/// <summary>Queue <c>monitor-model-retired</c>: fixed here, not derived from where the class lives.</summary>
public sealed class ModelRetiredConsumerDefinition() : StageConsumerDefinition<ModelRetiredConsumer>("monitor", "model-retired");
