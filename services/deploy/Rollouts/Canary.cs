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

    /// <summary>When <see cref="MinDuration"/> has passed since <see cref="Started"/>, if it is set.</summary>
    public DateTimeOffset? DurationDoneAt => MinDuration is { } d ? Started + d : null;
}
