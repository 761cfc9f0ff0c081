namespace MlOps.Contracts;

/// <summary>
/// A person (or the registry on their command) asks deploy to serve a version that already passed the gate: moving the
/// <c>champion</c> alias, or a rollback to the previous champion. Deploy answers with <see cref="ModelDeployed"/>.
/// </summary>
public record DeploymentRequested(
    Guid RunId,
    string Pipeline,
    int Version,
    string ModelSha256,
    string Kind,
    string Reason,
    string By) : IRunMessage;
