using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor;

/// <summary>
/// This replica's consumers on the partition queues (<see cref="MonitorPartitions"/>): <c>monitor-partition-{k}</c>, each
/// with a single active consumer on RabbitMQ, taking only what is sent to it (no binding to published events), and serving
/// every pipeline-scoped consumer. Connected once the bus runs; a partition is handed to the next replica in line by
/// disconnecting from its queue and connecting again (<see cref="YieldAsync"/>), which puts this replica last.
/// </summary>
public sealed class PartitionConsumers(IReceiveEndpointConnector connector, MonitorPartitions partitions, ILogger<PartitionConsumers> logger)
{
    /// <summary>The consumers that run on the partition queues, in the replica that owns the pipeline (they have no queue of their own).</summary>
    public static readonly IReadOnlyList<Type> ConsumerTypes =
    [
        typeof(PartitionTickConsumer), typeof(PredictionsServedConsumer), typeof(ModelDeployedConsumer), typeof(ModelRetiredConsumer),
        typeof(WatchStatusAskedConsumer), typeof(FeedbackSubmittedConsumer),
    ];

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        foreach (var type in ConsumerTypes) x.AddConsumer(type).ExcludeFromConfigureEndpoints();
    }

    readonly HostReceiveEndpointHandle?[] _handles = new HostReceiveEndpointHandle?[partitions.Count];

    public async Task ConnectAllAsync(CancellationToken ct)
    {
        for (var k = 0; k < partitions.Count; k++) await ConnectAsync(k, ct);
    }

    async Task ConnectAsync(int partition, CancellationToken ct)
    {
        var name = MonitorPartitions.QueueName(partition);
        var handle = connector.ConnectReceiveEndpoint(name, (context, e) =>
        {
            e.ConfigureConsumeTopology = false;
            if (e is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.SingleActiveConsumer = true;
            e.ConfigureAsStage(context, name);
            foreach (var type in ConsumerTypes) e.ConfigureConsumer(context, type);
        });
        await handle.Ready.WaitAsync(ct);
        _handles[partition] = handle;
    }

    /// <summary>
    /// Hands the partition to the next replica in its queue's line: forgets its pipelines here, disconnects (RabbitMQ makes the
    /// next consumer active) and connects again, last in line.
    /// </summary>
    public async Task YieldAsync(int partition, CancellationToken ct)
    {
        if (_handles[partition] is not { } handle) return;
        await handle.StopAsync(ct); // what it was handling finishes (and is saved) first
        partitions.Release(partition, "handed to another replica to even out the partitions");
        _handles[partition] = null;
        await ConnectAsync(partition, ct);
        logger.LogInformation("Monitor partition {Partition} handed on; this replica waits in its queue's line", partition);
    }
}
