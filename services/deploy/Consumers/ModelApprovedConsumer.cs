using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy.Consumers;

/// <summary>Loads an approved version, checks it answers, swaps it in, and announces it. Idempotent on the version.</summary>
public sealed class ModelApprovedConsumer(ModelCatalog catalog) : IConsumer<ModelApproved>
{
    public async Task Consume(ConsumeContext<ModelApproved> context)
    {
        var m = context.Message;
        var model = await catalog.DeployAsync(m.Pipeline, m.Version, m.RunId, context.CancellationToken);
        await context.Publish(new ModelDeployed(m.RunId, m.Pipeline, m.Version, m.ModelSha256, ExecutionProvider.Name, model.DeployedAt), context.CancellationToken);
    }
}
