using MassTransit;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// A consumer's endpoint, declared beside the consumer: its queue is named "{stage}-{name}" here, once, so that moving or
/// renaming the class never renames the queue (and strands the messages waiting in the old one); the stage in the name is
/// what a failed run is attributed to (<see cref="RunFailedRetryObserver"/>). A consumer that needs its own concurrency or
/// retry sets it in its definition; the bus-wide retry (<see cref="RetryOptions"/>) applies to every endpoint.
/// </summary>
public abstract class StageConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    protected StageConsumerDefinition(string stage, string name) => EndpointName = $"{stage}-{name}";
}
