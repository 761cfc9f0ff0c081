namespace MlOps.Contracts;

/// <summary>
/// Live performance from feedback: over the last <see cref="Window"/> labelled predictions (at least <see cref="MinFeedback"/>),
/// accuracy (classification) or RMSE (regression) worse than the version's hold-out value by more than <see cref="Tolerance"/>
/// (RMSE: relative, e.g. 0.05 = 5% higher) is a performance drop: alerted, and a retrain is requested.
/// </summary>
public record PerformanceSpec
{
    public double Tolerance { get; init; } = 0.05;
    public int Window { get; init; } = 200;
    public int MinFeedback { get; init; } = 50;
    public bool RetrainOnDrop { get; init; } = true;
}
