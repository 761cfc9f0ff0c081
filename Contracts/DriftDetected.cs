namespace MlOps.Contracts;

/// <summary>Live inputs of the model trained by <paramref name="RunId"/> no longer look like its training data.</summary>
public record DriftDetected(
    Guid RunId,
    string Pipeline,
    int Version,
    double DriftedShare,
    long ReferenceRows,
    long CurrentRows,
    IReadOnlyList<FeatureDrift> Features) : IRunMessage;

/// <summary>The result of one feature's test: the statistic, its p-value where the test has one, and the verdict.</summary>
public record FeatureDrift(string Feature, string Test, double Statistic, double? PValue, double Threshold, bool Drifted);
