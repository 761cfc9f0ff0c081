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
