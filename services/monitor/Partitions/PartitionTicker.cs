using MassTransit;
using Microsoft.Extensions.Options;

namespace MlOps.Monitor;

/// <summary>
/// Once the bus runs, connects this replica to every partition queue (<see cref="PartitionConsumers"/>); then at once and
/// every <c>Monitor:PartitionTick</c> (5 s): tells the other replicas it is there (<see cref="MonitorAlive"/>), sends every
/// partition queue a <see cref="PartitionTick"/> (whoever receives it owns the partition), lets go of partitions no tick has
/// come from for three ticks, and hands one partition on while it owns more than its share, so the partitions end up
/// divided evenly among the live replicas. Real time, not the app's clock: ownership must move on even while a test holds
/// the clock still.
/// </summary>
public sealed class PartitionTicker(MonitorPartitions partitions, PartitionConsumers consumers, IBus bus, IHostApplicationLifetime lifetime,
    IOptions<MonitorOptions> options, ILogger<PartitionTicker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default); // the bus runs
        await consumers.ConnectAllAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.PartitionTick);
        do
        {
            try
            {
                await bus.Publish(new MonitorAlive(MonitorPartitions.Instance), stoppingToken);
                for (var k = 0; k < partitions.Count; k++)
                    await (await bus.GetSendEndpoint(partitions.Address(k))).Send(new PartitionTick(k), stoppingToken);
                partitions.ReleaseStale();
                if (partitions.OverShare() is { } extra) await consumers.YieldAsync(extra, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not tick the partitions: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
