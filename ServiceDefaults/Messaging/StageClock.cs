using System.Diagnostics;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

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

    /// <summary>The store calls the stage made for the run since its last event, by operation ("get=2,put=5"; <see cref="StoreCalls"/>).</summary>
    public const string StoreCallsHeader = "MlOps-Store-Calls";

    long _started;

    internal void Start() => _started = Stopwatch.GetTimestamp();

    internal double? Elapsed => _started == 0 ? null : Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>What a received event says about its making (<see cref="EventMaking"/>), from its headers.</summary>
    public static EventMaking Of(ConsumeContext context) => new(
        context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : null,
        context.Headers.Get<double>(Header, null) is { } seconds && seconds >= 0 ? seconds : null,
        StoreCalls.Parse(context.Headers.Get<string>(StoreCallsHeader)));
}

/// <summary>Starts the message scope's <see cref="StageClock"/> when a consumer is handed a run's message, and a store-call tally for every message.</summary>
public sealed class StageClockConsumeFilter<T>(StageClock clock) : IFilter<ConsumeContext<T>> where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is IRunMessage) clock.Start();
        // Every message its own tally: nothing counted for one message's work can be carried by the next one's events.
        StoreCalls.Begin();
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stage-clock");
}

/// <summary>
/// Writes on each run event the stage's time so far (none on events published outside a consumer) and the store calls made
/// since the work's previous event (a consumer's, or an HTTP request's: an upload publishes DataArrived).
/// </summary>
public sealed class StageClockPublishFilter<T>(StageClock clock) : IFilter<PublishContext<T>> where T : class
{
    public Task Send(PublishContext<T> context, IPipe<PublishContext<T>> next)
    {
        if (context.Message is IRunMessage)
        {
            if (clock.Elapsed is { } seconds) context.Headers.Set(StageClock.Header, Math.Round(seconds, 6));
            // MassTransit publishes a message once per type it is (DataArrived, then IRunMessage): one share per message.
            if (StoreCalls.Open?.ShareOf(context.Message) is { Length: > 0 } calls) context.Headers.Set(StageClock.StoreCallsHeader, calls);
        }
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stage-clock");
}

/// <summary>
/// What a received event says about its making: when it was sent, how long its stage had worked on the run by then, and
/// the store calls the stage made for it (by operation).
/// </summary>
public record EventMaking(DateTimeOffset? SentAt = null, double? StageSeconds = null, IReadOnlyDictionary<string, long>? StoreCalls = null);
