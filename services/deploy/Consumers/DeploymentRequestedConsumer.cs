using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>Serves the version a person asked for (a promotion or a rollback), then announces it like any deployment.</summary>
public sealed class DeploymentRequestedConsumer(ServingTable serving, ILogger<DeploymentRequestedConsumer> logger) : IConsumer<DeploymentRequested>
{
    public async Task Consume(ConsumeContext<DeploymentRequested> context)
    {
        var m = context.Message;
        logger.LogInformation("{Kind} of {Pipeline} to v{Version} requested by {By}: {Reason}", m.Kind, m.Pipeline, m.Version, m.By, m.Reason);
        // A person serving an older version rolls the newer one back: a late or redelivered approval of it must not undo that.
        if (serving.Get(m.Pipeline) is { } current && current.Version > m.Version) serving.NoteRolledBack(m.Pipeline, current.Version);
        var model = await serving.DeployAsync(m.Pipeline, m.Version, m.RunId, context.CancellationToken);
        await context.Publish(new ModelDeployed(m.RunId, m.Pipeline, m.Version, m.ModelSha256, ExecutionProvider.Name, model.DeployedAt), context.CancellationToken);
    }
}

/// <summary>Queue <c>deploy-deployment-requested</c>: fixed here, not derived from where the class lives.</summary>
public sealed class DeploymentRequestedConsumerDefinition() : StageConsumerDefinition<DeploymentRequestedConsumer>("deploy", "deployment-requested");
