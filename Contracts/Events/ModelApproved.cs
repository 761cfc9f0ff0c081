namespace MlOps.Contracts;

/// <summary>
/// The registry's gate let this model version through; deploy rolls it out (its ONNX file is under the run).
/// <paramref name="Spec"/>: the run's spec, carried on (see <see cref="DataArrived"/>); null when a person approved the version
/// later (deploy then reads the stored one). <paramref name="Card"/>: the model's card, carried on likewise.
/// </summary>
public record ModelApproved(
    Guid RunId,
    string Pipeline,
    int Version,
    string ModelSha256,
    IReadOnlyList<string> Reasons,
    PipelineSpec? Spec = null,
    ModelCard? Card = null) : IRunMessage;
