namespace MlOps.Contracts;

/// <summary>A model was trained, exported to ONNX and checked; both files and its metrics are stored under the run.</summary>
public record ModelTrained(
    Guid RunId,
    string Pipeline,
    string ModelKey,
    string OnnxKey,
    string ModelSha256,
    string Task,
    string Trainer,
    IReadOnlyDictionary<string, double> Metrics) : IRunMessage;
