using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// Judges each canary once it has answered its <c>rollout.minPredictions</c> (or served for <c>rollout.minDuration</c>) (<see cref="CanaryVerdict"/>): promoted (announced
/// with ModelDeployed) or rolled back (DeploymentRolledBack). A performance drop rolls it back before that (PerformanceDroppedConsumer).
/// Checks every second; every <see cref="CheckpointEvery"/> seconds, and when deploy stops, each canary's and shadow's counts
/// are recorded in the deployment record, so a restart goes on from them.
/// </summary>
public sealed class CanaryJudge(ServingTable serving, IBus bus, TimeProvider clock, ILogger<CanaryJudge> logger) : BackgroundService
{
    public const int CheckpointEvery = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await JudgeAsync(stoppingToken);
        }
        finally
        {
            await serving.CheckpointRolloutsAsync(CancellationToken.None); // a stopping deploy records its canaries' and shadows' counts
        }
    }

    async Task JudgeAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        for (var tick = 1L; await timer.WaitForNextTickAsync(stoppingToken); tick++)
        {
            if (tick % CheckpointEvery == 0) await serving.CheckpointRolloutsAsync(stoppingToken);
            foreach (var canary in serving.Rollouts.Canaries)
            {
                var due = canary.Due(clock.GetUtcNow());
                canary.Checked();
                if (!due) continue;
                var pipeline = canary.Model.Pipeline;
                if (serving.Get(pipeline) is not { } production) continue;
                var (promote, reason) = CanaryVerdict.Judge(canary.Model.Stats, production.Stats);
                if (!promote)
                {
                    if (await serving.RollBackAsync(pipeline, canary.Model.RunId, stoppingToken) is not { } gone) continue;
                    logger.LogWarning("Canary {Pipeline} v{Version} rolled back: {Reason}", pipeline, gone.Version, reason);
                    await bus.Publish(new DeploymentRolledBack(gone.RunId, pipeline, gone.Version, production.Version, $"Worse than production: {reason}.", DateTimeOffset.UtcNow), stoppingToken);
                    continue;
                }
                if (await serving.PromoteAsync(pipeline, stoppingToken) is not { } model) continue;
                logger.LogInformation("Canary {Pipeline} v{Version} promoted after {Served} predictions: {Reason}", model.Pipeline, model.Version, canary.Served, reason);
                await bus.Publish(new ModelDeployed(model.RunId, model.Pipeline, model.Version, model.Scorer.Card.ModelSha256, ExecutionProvider.Name, model.DeployedAt), stoppingToken);
            }
        }
    }
}
