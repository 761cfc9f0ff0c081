using MassTransit;
using Microsoft.Extensions.Logging;
using MlOps.Contracts;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// When a consumer has used up its retries on a run's message, ends that run with <see cref="RunFailed"/> naming the
/// stage and the error, so nothing fails silently. The message itself still goes to the endpoint's error queue.
/// </summary>
sealed class RunFailedRetryObserver(string stage, ILogger logger, bool outOfReach = false) : IRetryObserver
{
    public Task PostCreate<T>(RetryPolicyContext<T> context) where T : class, PipeContext => Task.CompletedTask;
    public Task PostFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;
    public Task PreRetry<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;
    public Task RetryComplete<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public async Task RetryFault<T>(RetryContext<T> context) where T : class, PipeContext
    {
        if (context.Context is not ConsumeContext consume || RunMessageOf(consume) is not { } run) return;
        // What a person reads on the run: what broke, that it is not a known problem with the data or the spec (those end a
        // run at once, with what to change), and what to do now.
        var error = outOfReach
            ? $"The {stage} stage could not reach a service it needs (the object store, the broker or the database) in {context.RetryCount + 1} attempts " +
              $"over several minutes ({context.Exception.GetType().Name}: {context.Exception.Message}). Check that it is up and reachable (its address is in " +
              $"ConnectionStrings), then retry the run (POST /pipelines/{run.Pipeline}/retrain)."
            : $"The {stage} stage failed {context.RetryCount + 1} times on an error MlOps does not recognise as a problem with the data or the spec " +
              $"({context.Exception.GetType().Name}: {context.Exception.Message}). Retry the run (POST /pipelines/{run.Pipeline}/retrain); if it fails again, " +
              $"report run {run.RunId:N}: the {stage} service's log holds the details.";
        logger.LogError(context.Exception, "Run {RunId} of {Pipeline} failed at {Stage} after {Attempts} attempts", run.RunId, run.Pipeline, stage, context.RetryCount + 1);
        await consume.Publish(new RunFailed(run.RunId, run.Pipeline, stage, error));
    }

    static IRunMessage? RunMessageOf(ConsumeContext context)
    {
        var typed = context.GetType().GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ConsumeContext<>));
        return typed?.GetProperty(nameof(ConsumeContext<object>.Message))?.GetValue(context) as IRunMessage;
    }
}
