using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>
/// Every replica hears every change to a pipeline's deployment (its own queue, bound to <see cref="DeploymentChanged"/>) and
/// serves what the record now says: a model approved on one replica, a rollback or a retirement asked of another, a
/// canary promoted by the judge. The record is read when the message is handled, so the newest state wins.
/// </summary>
public sealed class DeploymentChangedConsumer(ServingTable serving, DeploymentStore records) : IConsumer<DeploymentChanged>
{
    public async Task Consume(ConsumeContext<DeploymentChanged> context)
    {
        if (await records.TryReadAsync(context.Message.Pipeline, context.CancellationToken) is { } record)
            await serving.ApplyAsync(record, context.CancellationToken);
    }
}

/// <summary>
/// Queue <c>deploy-deployment-changed-{host}-{process}</c>: one per replica (a fan-out), removed when the replica goes
/// (a replica that was away catches up by reading every record: <see cref="DeploymentRestorer"/>).
/// </summary>
public sealed class DeploymentChangedConsumerDefinition : StageConsumerDefinition<DeploymentChangedConsumer>
{
    public static readonly string Instance = $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant();

    public DeploymentChangedConsumerDefinition() : base("deploy", $"deployment-changed-{Instance}")
    {
        ConcurrentMessageLimit = 1;
        Endpoint(e => e.Temporary = true);
    }
}
