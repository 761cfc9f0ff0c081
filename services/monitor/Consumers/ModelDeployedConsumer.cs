using MassTransit;
using MlOps.Contracts;

namespace MlOps.Monitor.Consumers;

/// <summary>Starts watching a newly deployed version against its own training data.</summary>
public sealed class ModelDeployedConsumer(DriftMonitor monitor) : IConsumer<ModelDeployed>
{
    public Task Consume(ConsumeContext<ModelDeployed> context) =>
        monitor.WatchAsync(context.Message.Pipeline, context.Message.RunId, context.Message.Version, context.CancellationToken, context.Message.DeployedAt);
}

/// <summary>Stops watching a pipeline whose model was retired (a person's promotion serves it, and starts the watch, again).</summary>
public sealed class ModelRetiredConsumer(DriftMonitor monitor) : IConsumer<ModelRetired>
{
    public Task Consume(ConsumeContext<ModelRetired> context)
    {
        monitor.Unwatch(context.Message.Pipeline);
        return Task.CompletedTask;
    }
}
