using MlOps.Contracts;

namespace MlOps.Deploy;

/// <summary>
/// A canary: a newer version answering a share of requests beside production, and how many this replica has answered
/// (<see cref="Served"/>, starting from the count its record had). Every replica reports what it counted (<see cref="Report"/>)
/// to the one judge, which decides on all replicas' traffic together (<see cref="RolloutTotals"/>).
/// </summary>
public sealed class Canary(DeployedModel model, double share, int minPredictions, TimeSpan? minDuration, DateTimeOffset started, long served = 0,
    DeployedModel? production = null)
{
    public DeployedModel Model { get; } = model;
    public double Share { get; } = share;
    public int MinPredictions { get; } = minPredictions;
    public TimeSpan? MinDuration { get; } = minDuration;
    public DateTimeOffset Started { get; } = started;

    /// <summary>Ready for a verdict: enough predictions, or (with a duration) long enough and at least one prediction.</summary>
    public bool Due(DateTimeOffset now) => Due(now, Served);

    /// <summary>Ready for a verdict on <paramref name="served"/> predictions (the judge's count over every replica).</summary>
    public bool Due(DateTimeOffset now, long served) => served >= MinPredictions || MinDuration is { } d && now - Started >= d && served > 0;

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

    readonly Lock _reporting = new();
    long _reportedServed = served;
    (long, long, long) _reportedCanary;
    DeployedModel? _production = production;
    (long, long, long) _reportedProduction = production?.Stats.Snapshot() ?? default;

    /// <summary>
    /// What this replica counted since its last report: predictions, the canary's requests, errors and latency, and
    /// production's beside it (from the canary's start: a production replaced meanwhile counts from zero).
    /// </summary>
    public RolloutCounted Report(DeployedModel production)
    {
        lock (_reporting)
        {
            if (_production != production) (_production, _reportedProduction) = (production, default);
            var served = Served;
            var (cr, ce, cm) = Model.Stats.Snapshot();
            var (pr, pe, pm) = production.Stats.Snapshot();
            var report = new RolloutCounted(Model.Pipeline, Model.RunId, "canary", served - _reportedServed,
                cr - _reportedCanary.Item1, ce - _reportedCanary.Item2, cm - _reportedCanary.Item3,
                pr - _reportedProduction.Item1, pe - _reportedProduction.Item2, pm - _reportedProduction.Item3);
            (_reportedServed, _reportedCanary, _reportedProduction) = (served, (cr, ce, cm), (pr, pe, pm));
            return report;
        }
    }
}
