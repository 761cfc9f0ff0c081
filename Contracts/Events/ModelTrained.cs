namespace MlOps.Contracts;

/// <summary>
/// A model was trained, exported to ONNX and checked; both files, its card and its metrics are stored under the run.
/// <paramref name="CachedFrom"/> names the earlier run whose model was reused because its dataset bytes, spec, code and
/// seed were the same (content-addressed caching); null when this run trained its own. <paramref name="Spec"/>: the run's
/// spec, carried on (see <see cref="DataArrived"/>); <paramref name="Card"/>: the model's card as stored
/// (<c>ArtifactKeys.ModelCard</c>), so the gate does not read it back.
/// </summary>
public record ModelTrained(
    Guid RunId,
    string Pipeline,
    string ModelSha256,
    ModelTask Task,
    string Trainer,
    IReadOnlyDictionary<string, double> Metrics,
    Guid? CachedFrom = null,
    PipelineSpec? Spec = null,
    ModelCard? Card = null) : IRunMessage;
