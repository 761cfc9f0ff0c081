using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor.Consumers;

/// <summary>
/// On the pipeline's partition queue (the replica that owns it): keeps served rows for feedback and feeds them to the drift
/// check; publishes DriftDetected and, when drift's trigger says so, RetrainRequested.
/// </summary>
public sealed class PredictionsServedConsumer(MonitorPartitions partitions, DriftMonitor drift, ServedLog served, ILogger<PredictionsServedConsumer> logger)
    : IConsumer<PredictionsServed>
{
    public async Task Consume(ConsumeContext<PredictionsServed> context)
    {
        var m = context.Message;
        await partitions.OwnAsync(m.Pipeline, context.CancellationToken);
        await served.RememberAsync(m, context.CancellationToken); // so ground truth can be matched to the row and the answer later
        if (await drift.ObserveAsync(m, context.CancellationToken) is not { } outcome) return;
        var r = outcome.Report;
        logger.LogInformation("Drift check of {Pipeline} v{Version}: {Share:P0} of features drifted over {Rows} rows; retrain: {Retrain} ({Why})",
            m.Pipeline, m.Version, r.DriftedShare, r.CurrentRows, outcome.RetrainNow, outcome.Why);
        if (!r.DatasetDrift) return;
        await context.Publish(new DriftDetected(m.RunId, m.Pipeline, m.Version, r.DriftedShare, r.ReferenceRows, r.CurrentRows, r.Features), context.CancellationToken);
        if (outcome.RetrainNow) await context.Publish(DriftTrigger.Retrain(r, outcome.Why), context.CancellationToken);
        if (outcome.Deferred is { } deferred)
            await context.Publish(new RetrainDeferred(m.RunId, m.Pipeline, m.Version, deferred.MinNewRows, outcome.Labelled, deferred.Why), context.CancellationToken);
    }
}

/// <summary>Queue <c>monitor-predictions-served</c>, shared by every replica: sends each batch on to its pipeline's partition queue.</summary>
public sealed class PredictionsServedRouter(MonitorPartitions partitions) : PartitionRouter<PredictionsServed>(partitions);

public sealed class PredictionsServedRouterDefinition() : StageConsumerDefinition<PredictionsServedRouter>("monitor", "predictions-served");
