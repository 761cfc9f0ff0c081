namespace MlOps.Deploy;

/// <summary>A canary: a newer version answering a share of requests beside production, and how many it has answered.</summary>
public sealed class Canary(DeployedModel model, double share, int minPredictions, TimeSpan? minDuration, DateTimeOffset started, long served = 0)
{
    public DeployedModel Model { get; } = model;
    public double Share { get; } = share;
    public int MinPredictions { get; } = minPredictions;
    public TimeSpan? MinDuration { get; } = minDuration;
    public DateTimeOffset Started { get; } = started;

    /// <summary>Ready for a verdict: enough predictions, or (with a duration) long enough and at least one prediction.</summary>
    public bool Due(DateTimeOffset now) => Served >= MinPredictions || MinDuration is { } d && now - Started >= d && Served > 0;
    long _served = served;
    public long Served => Interlocked.Read(ref _served);
    public void Count(int rows) => Interlocked.Add(ref _served, rows);

    long _checks;
    /// <summary>How many times the judge has looked at this canary (due or not): what shows a verdict is being waited for, not forgotten.</summary>
    public long Checks => Interlocked.Read(ref _checks);
    public void Checked() => Interlocked.Increment(ref _checks);

    /// <summary>What the verdict still waits for, or null when it is due.</summary>
    public string? Waiting(DateTimeOffset now) => Due(now) ? null
        : DurationDoneAt is { } done
            ? $"{Served:N0} of {MinPredictions:N0} predictions, or {done:O} (its minimum duration) and at least one prediction"
            : $"{Served:N0} of {MinPredictions:N0} predictions";

    /// <summary>When <see cref="MinDuration"/> has passed since <see cref="Started"/>, if it is set.</summary>
    public DateTimeOffset? DurationDoneAt => MinDuration is { } d ? Started + d : null;
}
