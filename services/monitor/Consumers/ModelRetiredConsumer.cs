using MassTransit;
using MlOps.Contracts;

namespace MlOps.Monitor.Consumers;

/// <summary>Stops watching a pipeline whose model was retired (a person's promotion serves it, and starts the watch, again).</summary>
public sealed class ModelRetiredConsumer(Watches watches) : IConsumer<ModelRetired>
{
    public Task Consume(ConsumeContext<ModelRetired> context) => watches.UnwatchAsync(context.Message.Pipeline, context.CancellationToken);
}
