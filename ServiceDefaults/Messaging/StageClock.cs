using System.Diagnostics;
using MassTransit;
using MlOps.Contracts;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// How long a stage worked on the run message it was handed before it published each event of that run: carried on the
/// event as the header <see cref="Header"/> (seconds), so the registry can tell the stages' own work (their computation and
/// their reads and writes of the store) from the waiting between stages (queues, the broker's hops, dispatch), which is
/// the orchestration's cost. One clock per message scope: <see cref="StageClockConsumeFilter{T}"/> starts it when a
/// consumer is handed a run message, <see cref="StageClockPublishFilter{T}"/> reads it when that consumer publishes.
/// </summary>
public sealed class StageClock
{
    public const string Header = "MlOps-Stage-Seconds";

    long _started;

    internal void Start() => _started = Stopwatch.GetTimestamp();

    internal double? Elapsed => _started == 0 ? null : Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>What a received event says about its making: when it was sent, and how long its stage worked before sending it.</summary>
    public static (DateTimeOffset? SentAt, double? StageSeconds) Of(ConsumeContext context) =>
        (context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : null,
         context.Headers.Get<double>(Header, null) is { } seconds && seconds >= 0 ? seconds : null);
}

/// <summary>Starts the message scope's <see cref="StageClock"/> when a consumer is handed a run's message.</summary>
public sealed class StageClockConsumeFilter<T>(StageClock clock) : IFilter<ConsumeContext<T>> where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is IRunMessage) clock.Start();
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stage-clock");
}

/// <summary>Writes the stage's time so far on each run event a consumer publishes (none on events published outside a consumer).</summary>
public sealed class StageClockPublishFilter<T>(StageClock clock) : IFilter<PublishContext<T>> where T : class
{
    public Task Send(PublishContext<T> context, IPipe<PublishContext<T>> next)
    {
        if (context.Message is IRunMessage && clock.Elapsed is { } seconds) context.Headers.Set(StageClock.Header, Math.Round(seconds, 6));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stage-clock");
}
