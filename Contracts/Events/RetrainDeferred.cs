namespace MlOps.Contracts;

/// <summary>
/// Drift asked for a retrain of the model <paramref name="RunId"/> serves, and monitor deferred it: fewer than
/// <paramref name="MinNewRows"/> labelled production rows of that model have arrived (<paramref name="Labelled"/> so far), so
/// a retrain would make the same model again (<c>retraining.minNewRows</c>). Published once per drift episode; the retrain
/// starts when the labels arrive.
/// </summary>
public record RetrainDeferred(
    Guid RunId,
    string Pipeline,
    int Version,
    int MinNewRows,
    long Labelled,
    string Reason) : IRunMessage;
