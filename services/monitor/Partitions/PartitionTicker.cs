using MassTransit;
using Microsoft.Extensions.Options;

namespace MlOps.Monitor;

/// <summary>
/// Sends every partition queue a <see cref="PartitionTick"/> at start and every <c>Monitor:PartitionTick</c> (5 s), so the
/// replica that owns each partition hears of it at once, and lets go of partitions no tick has come from for three ticks.
/// Real time, not the app's clock: ownership must move on even while a test holds the clock still.
/// </summary>
public sealed class PartitionTicker(MonitorPartitions partitions, IBus bus, IOptions<MonitorOptions> options, ILogger<PartitionTicker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PartitionTick);
        do
        {
            try
            {
                for (var k = 0; k < partitions.Count; k++)
                    await (await bus.GetSendEndpoint(partitions.Address(k))).Send(new PartitionTick(k), stoppingToken);
                partitions.ReleaseStale();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not send the partition ticks: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
