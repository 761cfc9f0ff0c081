using MassTransit;
using MassTransit.Middleware.Timeout;
using Microsoft.Extensions.Logging;
using MlOps.Contracts;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// A stage's time limit (<see cref="StageOptions.Timeout"/>): the consumer's cancellation token fires when the stage has
/// worked on a run's message for that long, retries included, and the run then ends <see cref="RunFailed"/> naming the stage
/// and the limit. The message is consumed: a stage that ran out of time once would run out again on redelivery.
/// </summary>
public sealed class StageTimeoutFilter<T>(StageLimits limits, ILogger<StageLimits> logger) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var stage = StageEndpointNameFormatter.StageOfEndpoint(context.ReceiveContext.InputAddress.AbsolutePath.Split('/')[^1]);
        if (limits.For(stage).Timeout is not { } timeout || context.Message is not IRunMessage run)
        {
            await next.Send(context);
            return;
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await next.Send(new TimeoutConsumeContext<T>(context, limit.Token));
        }
        catch (Exception e) when (limit.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "Run {RunId} of {Pipeline}: the {Stage} stage ran out of its {Timeout} on {Message}", run.RunId, run.Pipeline, stage, timeout, typeof(T).Name);
            await context.Publish(new RunFailed(run.RunId, run.Pipeline, stage,
                $"The {stage} stage did not finish within its time limit of {timeout:c} (Stages:{stage}:Timeout) and was stopped. " +
                $"Raise the limit, or make the work smaller (fewer rows, trees or leaves), then retry the run (POST /pipelines/{run.Pipeline}/retrain)."));
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stage-timeout");
}
