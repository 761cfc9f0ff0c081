using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>
/// The rollout judge: adds up every replica's reports (<see cref="RolloutCounted"/>) per canary and shadow, and once a canary
/// is due on the total (<c>rollout.minPredictions</c>, or <c>minDuration</c> and a prediction), judges it on every replica's
/// traffic together (<see cref="CanaryVerdict"/>): promoted (ModelDeployed) or rolled back (DeploymentRolledBack), once.
/// The queue has a single active consumer (RabbitMQ's <c>x-single-active-consumer</c>): one replica judges at a time, and
/// another takes over, from the last checkpoint, when it goes. Every 5 seconds the totals are written to the deployment record.
/// </summary>
public sealed class RolloutCountedConsumer(ServingTable serving, RolloutTotals totals, DeploymentStore records, TimeProvider clock,
    ILogger<RolloutCountedConsumer> logger) : IConsumer<RolloutCounted>
{
    public static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(5);

    public async Task Consume(ConsumeContext<RolloutCounted> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await totals.Deciding.WaitAsync(ct);
        try
        {
            if (!Stands(m) && await records.TryReadAsync(m.Pipeline, ct) is { } record) await serving.ApplyAsync(record, ct); // not heard of here yet
            if (!Stands(m))
            {
                totals.Forget(m.Pipeline); // promoted, rolled back or replaced: its last reports count for nothing
                return;
            }
            var total = totals.Of(m.Pipeline, m.RunId) ?? totals.Start(m.Pipeline, m.RunId, (await records.TryReadAsync(m.Pipeline, ct))?.Rollout);
            total.Add(m);
            if (m.Kind == "canary" && await JudgeAsync(context, total, ct)) return;
            if (clock.GetUtcNow() - total.CheckpointedAt >= CheckpointEvery && total.Progress != total.CheckpointedProgress)
                await serving.CheckpointAsync(m.Pipeline, total, ct);
        }
        finally
        {
            totals.Deciding.Release();
        }
    }

    /// <summary>Whether the reported canary or shadow still stands beside production here.</summary>
    bool Stands(RolloutCounted m) => m.Kind == "canary"
        ? serving.Rollouts.CanaryOf(m.Pipeline)?.Model.RunId == m.RunId
        : serving.Rollouts.ShadowOf(m.Pipeline)?.Model.RunId == m.RunId;

    async Task<bool> JudgeAsync(ConsumeContext<RolloutCounted> context, RolloutTotal total, CancellationToken ct)
    {
        var pipeline = context.Message.Pipeline;
        var canary = serving.Rollouts.CanaryOf(pipeline)!;
        canary.Checked();
        if (!canary.Due(clock.GetUtcNow(), total.Served) || serving.Get(pipeline) is not { } production) return false;
        var (promote, reason) = CanaryVerdict.Judge(total.Canary, total.Production);
        totals.Forget(pipeline);
        if (!promote)
        {
            if (await serving.RollBackAsync(pipeline, canary.Model.RunId, ct) is not { } gone) return true;
            logger.LogWarning("Canary {Pipeline} v{Version} rolled back: {Reason}", pipeline, gone.Version, reason);
            await context.Publish(new DeploymentRolledBack(gone.RunId, pipeline, gone.Version, production.Version, $"Worse than production: {reason}.", clock.GetUtcNow()), ct);
            return true;
        }
        if (await serving.PromoteAsync(pipeline, ct) is not { } model) return true;
        logger.LogInformation("Canary {Pipeline} v{Version} promoted after {Served} predictions over every replica: {Reason}", model.Pipeline, model.Version, total.Served, reason);
        await context.Publish(new ModelDeployed(model.RunId, model.Pipeline, model.Version, model.Scorer.Card.ModelSha256, ExecutionProvider.Name, model.DeployedAt), ct);
        return true;
    }
}

/// <summary>
/// Queue <c>deploy-rollout-counted</c>, shared by every replica, with one active consumer at a time on RabbitMQ (the others
/// wait as standbys), one message at a time: the judge decides once.
/// </summary>
public sealed class RolloutCountedConsumerDefinition : StageConsumerDefinition<RolloutCountedConsumer>
{
    public RolloutCountedConsumerDefinition() : base("deploy", "rollout-counted") => ConcurrentMessageLimit = 1;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<RolloutCountedConsumer> consumer, IRegistrationContext context)
    {
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.SingleActiveConsumer = true;
    }
}
