namespace MlOps.Contracts;

/// <summary>
/// A model was trained, exported to ONNX and checked; both files, its card and its metrics are stored under the run.
/// <paramref name="CachedFrom"/> names the earlier run whose model was reused because its dataset bytes, spec, code and
/// seed were the same (content-addressed caching); null when this run trained its own.
/// </summary>
public record ModelTrained(
    Guid RunId,
    string Pipeline,
    string ModelSha256,
    ModelTask Task,
    string Trainer,
    IReadOnlyDictionary<string, double> Metrics,
    Guid? CachedFrom = null) : IRunMessage;
