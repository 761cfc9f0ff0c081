using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>
/// Rolls out an approved version as its spec says: with <c>rollout.canaryShare</c> &gt; 0 and a version already serving, as a
/// canary beside it (promoted later by <see cref="CanaryJudge"/>); otherwise straight to production, announced with
/// ModelDeployed. Idempotent on the version, and only forward: an approval of a version older than the one serving (a late or
/// redelivered message) changes nothing; going back is a rollback, asked for explicitly (<see cref="DeploymentRequested"/>).
/// A retired pipeline stays retired: approvals are not deployed until a person promotes a version. Nor is an approval of a
/// version that was rolled back (or of an older one): a redelivered approval must not undo a rollback.
/// </summary>
public sealed class ModelApprovedConsumer(ServingTable serving, IArtifactStore store, ILogger<ModelApprovedConsumer> logger) : IConsumer<ModelApproved>
{
    public async Task Consume(ConsumeContext<ModelApproved> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        if (serving.RetiredOf(m.Pipeline) is { } retired)
        {
            logger.LogWarning("Approval of {Pipeline} v{Version} not deployed: the pipeline was retired at {At} by {By}; a person's promotion serves it again",
                m.Pipeline, m.Version, retired.At, retired.By);
            return;
        }
        if (serving.RolledBack(m.Pipeline) is int rolledBack && rolledBack >= m.Version)
        {
            logger.LogInformation("Approval of {Pipeline} v{Version} ignored: v{RolledBack} was rolled back; serve it again by promoting it", m.Pipeline, m.Version, rolledBack);
            return;
        }
        if (serving.Get(m.Pipeline) is { } current && current.Version > m.Version)
        {
            logger.LogInformation("Approval of {Pipeline} v{Version} ignored: v{Serving} is newer and serving", m.Pipeline, m.Version, current.Version);
            return;
        }
        try
        {
            await RollOutAsync(context, m, ct);
        }
        catch (SmokeTestFailedException e)
        {
            logger.LogError("{Error}", e.Message);
            await context.Publish(new RunFailed(m.RunId, m.Pipeline, "deploy", e.Message), ct);
        }
    }

    async Task RollOutAsync(ConsumeContext<ModelApproved> context, ModelApproved m, CancellationToken ct)
    {
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(m.RunId), ct);
        if (spec.Rollout.Shadow && serving.Get(m.Pipeline) is { } live && live.Version < m.Version)
        {
            await serving.StartShadowAsync(m.Pipeline, m.Version, m.RunId, ct);
            return;
        }
        if (spec.Rollout.CanaryShare > 0 && serving.Get(m.Pipeline) is { } production && production.Version < m.Version)
        {
            await serving.StartCanaryAsync(m.Pipeline, m.Version, m.RunId, spec.Rollout, ct);
            return;
        }
        var model = await serving.DeployAsync(m.Pipeline, m.Version, m.RunId, ct);
        await context.Publish(new ModelDeployed(m.RunId, m.Pipeline, m.Version, m.ModelSha256, ExecutionProvider.Name, model.DeployedAt), ct);
    }
}

/// <summary>Queue <c>deploy-model-approved</c>: fixed here, not derived from where the class lives.</summary>
public sealed class ModelApprovedConsumerDefinition() : StageConsumerDefinition<ModelApprovedConsumer>("deploy", "model-approved");
