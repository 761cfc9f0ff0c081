using MassTransit;
using Microsoft.Extensions.Logging;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// A cancelled run gets no further work: a message that would start a stage's work on it (DataArrived, DataValidated,
/// ModelTrained, ModelApproved, RetrainRequested) is consumed without being handled when the run's cancellation marker
/// (<see cref="ArtifactKeys.Cancelled"/>) is in the store. So a training that was under way when the run was cancelled
/// finishes, but its model is never gated, versioned nor served. The registry's timeline still records everything.
/// </summary>
public sealed class CancelledRunFilter<T>(IServiceProvider services, ILogger<StageLimits> logger) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        // A bus with no store (a host of its own, as some tests have) has nothing to look in.
        if (context.Message is DataArrived or DataValidated or ModelTrained or ModelApproved or RetrainRequested
            && context.Message is IRunMessage run && services.GetService(typeof(IArtifactStore)) is IArtifactStore store && await store.ExistsAsync(ArtifactKeys.Cancelled(run.RunId), context.CancellationToken))
        {
            logger.LogInformation("Run {RunId} of {Pipeline} was cancelled: {Message} not handled", run.RunId, run.Pipeline, typeof(T).Name);
            return;
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("cancelled-run");
}
