using System.Security.Cryptography;
using System.Text;
using MassTransit;
using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// The clock-driven triggers: every <c>Monitor:ScheduleTick</c> (30 s) it asks <see cref="DriftMonitor"/> which cron
/// occurrences and age limits came due and publishes <see cref="RetrainRequested"/> (trigger Schedule) for those that ask
/// for a retrain. The run ID is derived from the pipeline and the occurrence, so a check seen twice (or by two monitors, or
/// again after a restart that came between the publish and the record of it) starts one run: ingest starts a given run ID once.
/// </summary>
public sealed class RetrainScheduler(DriftMonitor monitor, IBus bus, TimeProvider clock, IConfiguration configuration, ILogger<RetrainScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = configuration.GetValue("Monitor:ScheduleTick", TimeSpan.FromSeconds(30));
        using var timer = new PeriodicTimer(tick, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunDueChecksAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Scheduled checks failed; trying again at the next tick");
            }
        }
    }

    public async Task RunDueChecksAsync(CancellationToken ct)
    {
        foreach (var check in monitor.DueChecks(clock.GetUtcNow()))
        {
            logger.LogInformation("{Pipeline}: {Reason}", check.Pipeline, check.Reason);
            if (check.Retrain)
            {
                var runId = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{check.Pipeline}|{check.Kind}|{check.DueAt:O}|{check.RunId:N}"))[..16]);
                await bus.Publish(new RetrainRequested(runId, check.Pipeline, Trigger.Schedule, check.Reason + ".", check.RunId), ct);
            }
            await monitor.CompleteAsync(check, ct); // after the publish: a crash in between publishes again, under the same run ID
        }
    }
}
