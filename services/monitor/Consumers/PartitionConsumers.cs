using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>
/// A pipeline event published by another service, taken from a queue every replica shares and sent on, unchanged, to the
/// pipeline's partition queue (<see cref="MonitorPartitions"/>), where the replica that owns the pipeline handles it.
/// </summary>
public abstract class PartitionRouter<T>(MonitorPartitions partitions) : IConsumer<T> where T : class, IRunMessage
{
    public async Task Consume(ConsumeContext<T> context) =>
        await (await context.GetSendEndpoint(partitions.Address(context.Message.Pipeline))).Send(context.Message, context.CancellationToken);
}

/// <summary>A tick from a partition queue: this replica owns the partition (reads it back first if it did not).</summary>
public sealed class PartitionTickConsumer(MonitorPartitions partitions) : IConsumer<PartitionTick>
{
    public Task Consume(ConsumeContext<PartitionTick> context) => partitions.OwnAsync(context.Message.Partition, context.CancellationToken);
}

/// <summary>Answers GET /monitor/{p} (asked on any replica) from the watch of the replica that owns the pipeline.</summary>
public sealed class WatchStatusAskedConsumer(MonitorPartitions partitions, Watches watches) : IConsumer<WatchStatusAsked>
{
    public async Task Consume(ConsumeContext<WatchStatusAsked> context)
    {
        await partitions.OwnAsync(context.Message.Pipeline, context.CancellationToken);
        await watches.EnsureAsync(context.Message.Pipeline, context.CancellationToken);
        await context.RespondAsync(new WatchStatusAnswer(watches.Status(context.Message.Pipeline) is { } status
            ? status with { Partition = partitions.Of(context.Message.Pipeline), Owner = MonitorPartitions.Instance }
            : null));
    }
}

/// <summary>
/// Takes ground truth (POST /monitor/{p}/feedback on any replica) in the replica that owns the pipeline, where its served
/// rows, labels and windows are; publishes the performance drops and retrains it leads to, and answers with the result.
/// </summary>
public sealed class FeedbackSubmittedConsumer(MonitorPartitions partitions, Watches watches, FeedbackBook book) : IConsumer<FeedbackSubmitted>
{
    public async Task Consume(ConsumeContext<FeedbackSubmitted> context)
    {
        var m = context.Message;
        await partitions.OwnAsync(m.Pipeline, context.CancellationToken);
        await watches.EnsureAsync(m.Pipeline, context.CancellationToken);
        var (result, actions) = await book.AddAsync(m.Pipeline, m.Items, context.CancellationToken);
        foreach (var drop in actions.Drops) await context.Publish(drop, context.CancellationToken);
        foreach (var retrain in actions.Retrains) await context.Publish(retrain, context.CancellationToken);
        await context.RespondAsync(new FeedbackAnswer(result));
    }
}

/// <summary>Another replica (or this one) is there: counted among those the partitions are divided among.</summary>
public sealed class MonitorAliveConsumer(MonitorPartitions partitions) : IConsumer<MonitorAlive>
{
    public Task Consume(ConsumeContext<MonitorAlive> context)
    {
        partitions.Heard(context.Message.Instance);
        return Task.CompletedTask;
    }
}

/// <summary>Queue <c>monitor-alive-{host}-{process}</c>: one per replica (every replica hears every other), removed when it goes.</summary>
public sealed class MonitorAliveConsumerDefinition : StageConsumerDefinition<MonitorAliveConsumer>
{
    public MonitorAliveConsumerDefinition() : base("monitor", $"alive-{MonitorPartitions.Instance}")
    {
        Endpoint(e => e.Temporary = true);
    }
}
