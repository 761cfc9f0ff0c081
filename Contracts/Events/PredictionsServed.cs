namespace MlOps.Contracts;

/// <summary>A batch of what deploy served for one model version, sent to monitor off the request path.</summary>
public record PredictionsServed(
    Guid RunId,
    string Pipeline,
    int Version,
    IReadOnlyList<string> Features,
    IReadOnlyList<ServedPrediction> Predictions,
    IReadOnlyList<string>? TextFeatures = null) : IRunMessage;
