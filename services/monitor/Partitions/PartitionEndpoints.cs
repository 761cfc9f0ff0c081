using MassTransit;
using MlOps.Monitor.Consumers;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor;

/// <summary>
/// The partition queues (<see cref="MonitorPartitions"/>): <c>monitor-partition-{k}</c>, each with a single active consumer on
/// RabbitMQ, taking only what is sent to it (no binding to published events), and serving every pipeline-scoped consumer.
/// </summary>
public sealed class PartitionEndpoints(int partitions) : IBusEndpoints
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

    public void Configure(IBusRegistrationContext context, IBusFactoryConfigurator bus, Action<string, IReceiveEndpointConfigurator> asStage)
    {
        for (var k = 0; k < partitions; k++)
        {
            var name = MonitorPartitions.QueueName(k);
            bus.ReceiveEndpoint(name, e =>
            {
                e.ConfigureConsumeTopology = false;
                if (e is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.SingleActiveConsumer = true;
                asStage(name, e);
                foreach (var type in ConsumerTypes) e.ConfigureConsumer(context, type);
            });
        }
    }
}
