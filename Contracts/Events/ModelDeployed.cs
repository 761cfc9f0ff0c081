namespace MlOps.Contracts;

/// <summary>A model version now answers <c>/v2/models/{Pipeline}/infer</c>.</summary>
public record ModelDeployed(
    Guid RunId,
    string Pipeline,
    int Version,
    string ModelSha256,
    string ExecutionProvider,
    DateTimeOffset DeployedAt) : IRunMessage;
