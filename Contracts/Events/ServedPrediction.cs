namespace MlOps.Contracts;

/// <summary>
/// One served row: its numeric values in the order of <see cref="PredictionsServed.Features"/> (NaN for an empty cell), its
/// text values in the order of <see cref="PredictionsServed.TextFeatures"/>, and the answer.
/// </summary>
public record ServedPrediction(string PredictionId, float[] Values, string Output, DateTimeOffset At, string[]? Texts = null);
