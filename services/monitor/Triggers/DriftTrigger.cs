using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// Drift's trigger (<c>drift.retrainOnDrift</c>, <c>drift.cooldown</c>): a window that found dataset drift asks for a retrain,
/// at most once per cooldown per pipeline (the cooldown's start is kept in the watch's state), so a drifting stream starts
/// one retrain, not a storm.
/// </summary>
public static class DriftTrigger
{
    /// <summary>Decides on a report, under the watch's lock; starts the cooldown when it asks for a retrain.</summary>
    public static (bool RetrainNow, string Why) Decide(Watch watch, DriftReport report, DateTimeOffset now)
    {
        var drift = watch.Spec.Drift;
        var cooled = watch.LastRetrainAt is null || now - watch.LastRetrainAt >= drift.Cooldown;
        var retrain = report.DatasetDrift && drift.RetrainOnDrift && cooled;
        if (retrain) watch.LastRetrainAt = now;
        var why = !report.DatasetDrift ? "no dataset drift"
            : !drift.RetrainOnDrift ? "drift.retrainOnDrift is off"
            : !cooled ? $"in cooldown until {watch.LastRetrainAt + drift.Cooldown:O}"
            : $"{report.Features.Count(f => f.Drifted)} of {report.Features.Count} features drifted";
        return (retrain, why);
    }

    /// <summary>The retrain a drifted window asks for, under the run ID its cooldown episode derives.</summary>
    public static RetrainRequested Retrain(DriftReport report, string why) =>
        new(RetrainRunIds.For(report.Pipeline, Trigger.Drift, $"{report.At:O}", report.RunId), report.Pipeline, Trigger.Drift,
            $"Drift in v{report.Version}: {why}.", report.RunId);
}
