using MassTransit;
using Microsoft.Extensions.Options;

namespace MlOps.Monitor;

/// <summary>
/// Runs the clock's triggers (<see cref="ScheduleTrigger"/>) every <c>Monitor:ScheduleTick</c> (30 s) and publishes the
/// retrains they ask for. A check is recorded as done only after its retrain is published: a crash in between publishes
/// again, under the same derived run ID, so one occurrence starts one run.
/// </summary>
public sealed class RetrainScheduler(Watches watches, IBus bus, TimeProvider clock, IOptions<MonitorOptions> options, ILogger<RetrainScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScheduleTick, clock);
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
        var now = clock.GetUtcNow();
        var looked = watches.All.ToList();
        foreach (var check in ScheduleTrigger.DueChecks(looked, now))
        {
            logger.LogInformation("{Pipeline}: {Reason}", check.Pipeline, check.Reason);
            if (check.Retrain) await bus.Publish(ScheduleTrigger.Retrain(check), ct);
            if (watches.Get(check.Pipeline) is not { } w || w.RunId != check.RunId) continue; // another model serves by now
            ScheduleTrigger.Complete(w, check);
            await watches.SaveAsync(check.Pipeline, w, ct);
        }
        foreach (var (_, w) in looked) lock (w) w.ClockCheckedAt = now; // after acting: whoever sees this time sees what it decided
    }
}
