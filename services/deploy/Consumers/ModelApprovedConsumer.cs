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
        if (SkipReason(m) is { } skipped)
        {
            logger.LogInformation("Approval of {Pipeline} v{Version} not deployed: {Reason}", m.Pipeline, m.Version, skipped);
            await context.Publish(new DeploymentSkipped(m.RunId, m.Pipeline, m.Version, skipped), ct);
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

    /// <summary>Why this approval must not be served, or null when it rolls out.</summary>
    string? SkipReason(ModelApproved m) =>
        serving.RetiredOf(m.Pipeline) is { } retired
            ? $"the pipeline was retired at {retired.At:O} by {retired.By}; a person's promotion (PUT /models/{m.Pipeline}/aliases/champion) serves it again"
        : serving.Get(m.Pipeline) is { } current && current.Version > m.Version
            ? $"v{current.Version} is newer and serves"
        : serving.RolledBack(m.Pipeline) is int rolledBack && rolledBack >= m.Version
            ? $"v{rolledBack} was rolled back{(rolledBack == m.Version ? "" : ", and this version is older")}; promote it to serve it again"
        : null;

    async Task RollOutAsync(ConsumeContext<ModelApproved> context, ModelApproved m, CancellationToken ct)
    {
        var spec = await store.RunSpecAsync(m.RunId, m.Spec, ct);
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
        var model = await serving.DeployAsync(m.Pipeline, m.Version, m.RunId, ct, m.Card);
        await context.Publish(new ModelDeployed(m.RunId, m.Pipeline, m.Version, m.ModelSha256, ExecutionProvider.Name, model.DeployedAt, spec), ct);
    }
}

/// <summary>Queue <c>deploy-model-approved</c>: fixed here, not derived from where the class lives.</summary>
public sealed class ModelApprovedConsumerDefinition() : StageConsumerDefinition<ModelApprovedConsumer>("deploy", "model-approved");
