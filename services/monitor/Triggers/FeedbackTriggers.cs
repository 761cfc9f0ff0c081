using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>What the feedback triggers have asked of one serving model: each fires once per model.</summary>
public sealed class FeedbackTriggerState
{
    public bool DropAnnounced { get; set; }
    public bool VolumeRequested { get; set; }
}

/// <summary>
/// The triggers fed by labels (<c>performance.*</c>, <c>triggers.newRows</c>): a performance drop of a model is announced once
/// (PerformanceDropped: deploy rolls a canary back) and, for the production model with <c>performance.retrainOnDrop</c>,
/// asks for a retrain; a model whose labelled production rows reach <c>triggers.newRows</c> asks for one once. Run IDs are
/// derived from the cause (<see cref="RetrainRunIds"/>). Called under the window's lock.
/// </summary>
public static class FeedbackTriggers
{
    public static void Decide(string pipeline, PipelineSpec spec, ModelCard card, PerformanceWindow window, LivePerformance? live, int version,
        bool isProduction, List<PerformanceDropped> drops, List<RetrainRequested> retrains)
    {
        var state = window.Triggers;
        if (live is { Dropped: true } && !state.DropAnnounced)
        {
            state.DropAnnounced = true;
            drops.Add(new PerformanceDropped(card.RunId, pipeline, live.Version, live.Metric, live.Live, live.Holdout, live.Tolerance, live.Rows));
            // A canary's drop rolls it back (deploy does that); only the production model is retrained.
            if (spec.Performance.RetrainOnDrop && isProduction)
                retrains.Add(new RetrainRequested(RetrainRunIds.For(pipeline, Trigger.Performance, "drop", card.RunId), pipeline, Trigger.Performance,
                    $"Live {live.Metric} of v{live.Version} over the last {live.Rows} labelled predictions is {live.Live:0.####}, against {live.Holdout:0.####} on its hold-out rows (tolerance {live.Tolerance}).", card.RunId));
        }
        if (spec.Triggers.NewRows is int threshold && window.Labelled >= threshold && !state.VolumeRequested)
        {
            state.VolumeRequested = true;
            retrains.Add(new RetrainRequested(RetrainRunIds.For(pipeline, Trigger.DataVolume, $"newRows {threshold}", card.RunId), pipeline, Trigger.DataVolume,
                $"{window.Labelled} labelled production rows arrived since v{version} was trained (triggers.newRows {threshold}).", card.RunId));
        }
    }

    /// <summary>After a restart: what was already reached counts as announced, so the same retrain is not asked for again.</summary>
    public static void Restore(PipelineSpec spec, ModelCard card, PerformanceWindow window)
    {
        window.Triggers.DropAnnounced = window.Measure(spec, card, 0) is { Dropped: true };
        window.Triggers.VolumeRequested = spec.Triggers.NewRows is int threshold && window.Labelled >= threshold;
    }
}
