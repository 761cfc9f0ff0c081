using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Monitor;

public record LivePerformance(Guid RunId, int Version, string Metric, double Live, double Holdout, double Tolerance, int Rows, bool Dropped);

/// <summary>
/// One serving model's labelled predictions: a sliding window of the last <c>performance.window</c> (answer, truth) pairs,
/// scored with the same code as its hold-out rows (<see cref="HoldoutMetrics"/>), and how many labels it has had in all.
/// </summary>
public sealed class PerformanceWindow
{
    readonly Queue<(string Output, string Truth)> _window = new();
    public long Labelled { get; private set; }

    /// <summary>What the feedback triggers have already asked of this model.</summary>
    public FeedbackTriggerState Triggers { get; } = new();

    /// <summary>One label taken: into the sliding window of the last <paramref name="window"/>, and counted.</summary>
    public void Take(string output, string truth, int window)
    {
        _window.Enqueue((output, truth));
        while (_window.Count > window) _window.Dequeue();
        Labelled++;
    }

    /// <summary>
    /// Accuracy (classification) or RMSE (regression) over the window against the model's hold-out value; null below
    /// <c>performance.minFeedback</c> labels. Worse by more than the tolerance (RMSE: relative) is a drop.
    /// </summary>
    public LivePerformance? Measure(PipelineSpec spec, ModelCard card, int version)
    {
        if (_window.Count < spec.Performance.MinFeedback) return null;
        var rows = _window.ToList();
        var regression = card.Task == ModelTask.Regression;
        var metric = regression ? "rmse" : "accuracy";
        if (!card.Metrics.TryGetValue(metric, out var holdout)) return null;
        var predictions = rows.Select(r => regression
            ? new Prediction("", [], float.Parse(r.Output, System.Globalization.CultureInfo.InvariantCulture))
            : new Prediction(r.Output, [], null)).ToList();
        var live = HoldoutMetrics.Evaluate(card, rows.Select(r => r.Truth).ToList(), predictions).Metrics[metric];
        var tolerance = spec.Performance.Tolerance;
        return new LivePerformance(card.RunId, version, metric, live, holdout, tolerance, rows.Count,
            regression ? live > holdout * (1 + tolerance) : live < holdout - tolerance);
    }
}
