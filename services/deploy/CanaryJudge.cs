using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// Judges each canary once it has answered its <c>rollout.minPredictions</c> (or served for <c>rollout.minDuration</c>) (<see cref="CanaryVerdict"/>): promoted (announced
/// with ModelDeployed) or rolled back (DeploymentRolledBack). A performance drop rolls it back before that (PerformanceDroppedConsumer).
/// Checks every second.
/// </summary>
public sealed class CanaryJudge(ModelCatalog catalog, IBus bus, TimeProvider clock, ILogger<CanaryJudge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var canary in catalog.Canaries.Where(c => c.Due(clock.GetUtcNow())))
            {
                var pipeline = canary.Model.Pipeline;
                if (catalog.Get(pipeline) is not { } production) continue;
                var (promote, reason) = CanaryVerdict.Judge(canary.Model.Stats, production.Stats);
                if (!promote)
                {
                    if (await catalog.RollBackAsync(pipeline, canary.Model.RunId, stoppingToken) is not { } gone) continue;
                    logger.LogWarning("Canary {Pipeline} v{Version} rolled back: {Reason}", pipeline, gone.Version, reason);
                    await bus.Publish(new DeploymentRolledBack(gone.RunId, pipeline, gone.Version, production.Version, $"Worse than production: {reason}.", DateTimeOffset.UtcNow), stoppingToken);
                    continue;
                }
                if (await catalog.PromoteAsync(pipeline, stoppingToken) is not { } model) continue;
                logger.LogInformation("Canary {Pipeline} v{Version} promoted after {Served} predictions: {Reason}", model.Pipeline, model.Version, canary.Served, reason);
                await bus.Publish(new ModelDeployed(model.RunId, model.Pipeline, model.Version, model.Scorer.Card.ModelSha256, ExecutionProvider.Name, model.DeployedAt), stoppingToken);
            }
        }
    }
}
