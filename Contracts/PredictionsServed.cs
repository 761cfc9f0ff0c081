namespace MlOps.Contracts;

/// <summary>A batch of what deploy served for one model version, sent to monitor off the request path.</summary>
public record PredictionsServed(
    Guid RunId,
    string Pipeline,
    int Version,
    IReadOnlyList<string> Features,
    IReadOnlyList<ServedPrediction> Predictions,
    IReadOnlyList<string>? TextFeatures = null) : IRunMessage;

/// <summary>
/// One served row: its numeric values in the order of <see cref="PredictionsServed.Features"/> (NaN for an empty cell), its
/// text values in the order of <see cref="PredictionsServed.TextFeatures"/>, and the answer.
/// </summary>
public record ServedPrediction(string PredictionId, float[] Values, string Output, DateTimeOffset At, string[]? Texts = null);
