using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy;

/// <summary>
/// Every second, reports what this replica's canaries and shadows counted since its last report (<see cref="RolloutCounted"/>)
/// to the judge, which decides once on every replica's traffic together (<c>RolloutCountedConsumer</c>); every
/// <see cref="HeartbeatEvery"/> seconds it reports even when nothing moved, so a canary that is due by its minimum
/// duration is judged without new traffic. When deploy begins to stop, its last counts are reported while the bus still
/// runs: on RabbitMQ they wait in the judge's queue for whichever replica judges next (this one restarted, or another); on
/// the in-memory bus this process is the only replica, so it adds them up as the judge and writes every rollout's totals to
/// its record, and a restart goes on from exactly there.
/// </summary>
public sealed class RolloutReporter(ServingTable serving, RolloutTotals totals, DeploymentStore records, IBus bus, IConfiguration configuration,
    ILogger<RolloutReporter> logger) : BackgroundService, IHostedLifecycleService
{
    public const int HeartbeatEvery = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        for (var tick = 1L; await timer.WaitForNextTickAsync(stoppingToken); tick++)
        {
            foreach (var report in Reports())
                if (Moved(report) || tick % HeartbeatEvery == 0) await bus.Publish(report, stoppingToken);
        }
    }

    IEnumerable<RolloutCounted> Reports()
    {
        foreach (var canary in serving.Rollouts.Canaries)
            if (serving.Get(canary.Model.Pipeline) is { } production) yield return canary.Report(production);
        foreach (var shadow in serving.Rollouts.Shadows) yield return shadow.Report();
    }

    static bool Moved(RolloutCounted r) => r.Served != 0 || r.CanaryRequests != 0 || r.Compared != 0 || r.Failed != 0;

    public async Task StoppingAsync(CancellationToken ct)
    {
        try
        {
            var reports = Reports().Where(Moved).ToList();
            if (MessagingExtensions.TransportName(configuration) != "in-memory")
            {
                foreach (var report in reports) await bus.Publish(report, ct);
                return;
            }
            await totals.Deciding.WaitAsync(ct);
            try
            {
                foreach (var report in reports)
                    (totals.Of(report.Pipeline, report.RunId) ?? totals.Start(report.Pipeline, report.RunId, (await records.TryReadAsync(report.Pipeline, ct))?.Rollout)).Add(report);
                foreach (var (pipeline, total) in totals.All)
                    if (total.Progress != total.CheckpointedProgress) await serving.CheckpointAsync(pipeline, total, ct);
            }
            finally
            {
                totals.Deciding.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not report the rollouts' last counts while stopping");
        }
    }

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
