namespace MlOps.Contracts;

/// <summary>
/// What a trained model is and how to call it (<c>runs/{runId}/model.json</c>): written by train, read by registry and deploy.
/// The ONNX graph takes one float tensor <see cref="OnnxInput"/> of shape [N, Features.Count], in the order of <see cref="Features"/>.
/// </summary>
public record ModelCard(
    Guid RunId,
    string Pipeline,
    ModelTask Task,
    string Trainer,
    string Target,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> Classes,
    string ModelSha256,
    string OnnxInput,
    string OnnxLabelOutput,
    string? OnnxProbabilityOutput,
    IReadOnlyDictionary<string, double> Metrics,
    long TrainRows,
    long TestRows,
    double OnnxMaxDifference,
    string CodeVersion);
