namespace MlOps.Contracts;

/// <summary>A batch of what deploy served for one model version, sent to monitor off the request path.</summary>
public record PredictionsServed(
    Guid RunId,
    string Pipeline,
    int Version,
    IReadOnlyList<string> Features,
    IReadOnlyList<ServedPrediction> Predictions) : IRunMessage;

/// <summary>One served row: its feature values in the order of <see cref="PredictionsServed.Features"/> and the answer.</summary>
public record ServedPrediction(string PredictionId, float[] Values, string Output, DateTimeOffset At);
