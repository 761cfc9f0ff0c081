namespace MlOps.Contracts;

/// <summary>
/// Ground truth sent back for a serving model's predictions shows it doing worse than on its hold-out rows: over the last
/// <paramref name="Rows"/> labelled predictions, <paramref name="Metric"/> is <paramref name="Live"/> against <paramref name="Holdout"/>.
/// </summary>
public record PerformanceDropped(
    Guid RunId,
    string Pipeline,
    int Version,
    string Metric,
    double Live,
    double Holdout,
    double Tolerance,
    int Rows) : IRunMessage;
