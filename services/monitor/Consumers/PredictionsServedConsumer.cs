using MassTransit;
using MlOps.Contracts;

namespace MlOps.Monitor.Consumers;

/// <summary>Feeds served rows to the drift check; publishes DriftDetected and, when the policy allows, RetrainRequested.</summary>
public sealed class PredictionsServedConsumer(DriftMonitor monitor, FeedbackBook feedback, ILogger<PredictionsServedConsumer> logger) : IConsumer<PredictionsServed>
{
    public async Task Consume(ConsumeContext<PredictionsServed> context)
    {
        var m = context.Message;
        await feedback.RememberAsync(m, context.CancellationToken); // so ground truth can be matched to the row and the answer later
        if (await monitor.ObserveAsync(m, context.CancellationToken) is not { } outcome) return;
        var r = outcome.Report;
        logger.LogInformation("Drift check of {Pipeline} v{Version}: {Share:P0} of features drifted over {Rows} rows; retrain: {Retrain} ({Why})",
            m.Pipeline, m.Version, r.DriftedShare, r.CurrentRows, outcome.RetrainNow, outcome.Why);
        if (!r.DatasetDrift) return;
        await context.Publish(new DriftDetected(m.RunId, m.Pipeline, m.Version, r.DriftedShare, r.ReferenceRows, r.CurrentRows, r.Features), context.CancellationToken);
        if (outcome.RetrainNow)
        {
            await context.Publish(new RetrainRequested(NewId.NextGuid(), m.Pipeline, Trigger.Drift,
                $"Drift in v{m.Version}: {outcome.Why}.", m.RunId), context.CancellationToken);
        }
    }
}
