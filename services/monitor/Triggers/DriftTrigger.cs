using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// Drift's trigger (<c>drift.retrainOnDrift</c>, <c>drift.cooldown</c>, <c>retraining.minNewRows</c>): a window that found
/// dataset drift asks for a retrain, at most once per cooldown per pipeline (the cooldown's start is kept in the watch's
/// state), so a drifting stream starts one retrain, not a storm; and only when there is something new to learn from: with
/// fewer labelled production rows of the serving model than <c>retraining.minNewRows</c>, a retrain would train on the
/// serving model's own data and make the same model again, so it is deferred until the labels arrive (<see cref="Resume"/>).
/// </summary>
public static class DriftTrigger
{
    /// <summary>Decides on a report, under the watch's lock; starts the cooldown when it asks for a retrain.</summary>
    /// <param name="labelled">Labelled production rows of the watched model so far.</param>
    public static (bool RetrainNow, string Why) Decide(Watch watch, DriftReport report, DateTimeOffset now, long labelled)
    {
        var drift = watch.Spec.Drift;
        var cooled = watch.LastRetrainAt is null || now - watch.LastRetrainAt >= drift.Cooldown;
        var wanted = report.DatasetDrift && drift.RetrainOnDrift && cooled;
        var minNew = watch.Spec.Retraining.MinNewRows;
        var newData = labelled >= minNew;
        var drifted = $"{report.Features.Count(f => f.Drifted)} of {report.Features.Count} features drifted";
        if (wanted && newData)
        {
            watch.LastRetrainAt = now;
            watch.DeferredRetrain = null;
        }
        var why = !report.DatasetDrift ? "no dataset drift"
            : !drift.RetrainOnDrift ? "drift.retrainOnDrift is off"
            : !cooled ? $"in cooldown until {watch.LastRetrainAt + drift.Cooldown:O}"
            : !newData ? $"{drifted}; retrain deferred until {minNew} labelled production rows of v{watch.Version} arrive ({labelled} so far, " +
                "retraining.minNewRows): on the same data a retrain would make the same model"
            : drifted;
        if (wanted && !newData) watch.DeferredRetrain ??= new DeferredRetrain(report.At, now, minNew, why);
        return (wanted && newData, why);
    }

    /// <summary>The retrain a drifted window asks for, under the run ID its cooldown episode derives.</summary>
    public static RetrainRequested Retrain(DriftReport report, string why) =>
        new(EpisodeRunId(report.Pipeline, report.At, report.RunId), report.Pipeline, Trigger.Drift, $"Drift in v{report.Version}: {why}.", report.RunId);

    /// <summary>The run a drift episode starts, derived from its drifted check: asked for at once or after a deferral, it is one run.</summary>
    static Guid EpisodeRunId(string pipeline, DateTimeOffset reportAt, Guid servingRun) => RetrainRunIds.For(pipeline, Trigger.Drift, $"{reportAt:O}", servingRun);

    /// <summary>
    /// A deferred drift retrain whose labels have arrived, under the watch's lock: the retrain (with the run ID its drifted
    /// check derives) and the cooldown's start; null while too few have.
    /// </summary>
    public static RetrainRequested? Resume(string pipeline, Watch watch, long labelled, DateTimeOffset now)
    {
        if (watch.DeferredRetrain is not { } deferred || labelled < deferred.MinNewRows) return null;
        watch.DeferredRetrain = null;
        watch.LastRetrainAt = now;
        return new(EpisodeRunId(pipeline, deferred.ReportAt, watch.RunId), pipeline, Trigger.Drift,
            $"Drift in v{watch.Version}, deferred at {deferred.Since:O} until {deferred.MinNewRows} labelled production rows arrived: {labelled} have.", watch.RunId);
    }
}
