using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// Promotes each canary once it has answered its <c>rollout.minPredictions</c> (a performance drop rolls it back before that,
/// see PerformanceDroppedConsumer), and announces the promotion with ModelDeployed. Checks every second.
/// </summary>
public sealed class CanaryJudge(ModelCatalog catalog, IBus bus, ILogger<CanaryJudge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var canary in catalog.Canaries.Where(c => c.Served >= c.MinPredictions))
            {
                if (await catalog.PromoteAsync(canary.Model.Pipeline, stoppingToken) is not { } model) continue;
                logger.LogInformation("Canary {Pipeline} v{Version} promoted after {Served} predictions", model.Pipeline, model.Version, canary.Served);
                await bus.Publish(new ModelDeployed(model.RunId, model.Pipeline, model.Version, model.Scorer.Card.ModelSha256, ExecutionProvider.Name, model.DeployedAt), stoppingToken);
            }
        }
    }
}
