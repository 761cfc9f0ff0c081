using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy.Consumers;

/// <summary>
/// Loads an approved version, checks it answers, swaps it in, and announces it. Idempotent on the version, and only forward:
/// an approval of a version older than the one serving (a late or redelivered message) changes nothing; going back is a
/// rollback, asked for explicitly (<see cref="DeploymentRequested"/>).
/// </summary>
public sealed class ModelApprovedConsumer(ModelCatalog catalog, ILogger<ModelApprovedConsumer> logger) : IConsumer<ModelApproved>
{
    public async Task Consume(ConsumeContext<ModelApproved> context)
    {
        var m = context.Message;
        if (catalog.Get(m.Pipeline) is { } serving && serving.Version > m.Version)
        {
            logger.LogInformation("Approval of {Pipeline} v{Version} ignored: v{Serving} is newer and serving", m.Pipeline, m.Version, serving.Version);
            return;
        }
        var model = await catalog.DeployAsync(m.Pipeline, m.Version, m.RunId, context.CancellationToken);
        await context.Publish(new ModelDeployed(m.RunId, m.Pipeline, m.Version, m.ModelSha256, ExecutionProvider.Name, model.DeployedAt), context.CancellationToken);
    }
}
