namespace MlOps.Contracts;

/// <summary>
/// A model version now answers <c>/v2/models/{Pipeline}/infer</c>. <paramref name="Spec"/>: the run's spec, carried on for
/// monitor (see <see cref="DataArrived"/>); null when the deployment did not come from the run's own approval.
/// </summary>
public record ModelDeployed(
    Guid RunId,
    string Pipeline,
    int Version,
    string ModelSha256,
    string ExecutionProvider,
    DateTimeOffset DeployedAt,
    PipelineSpec? Spec = null) : IRunMessage;
