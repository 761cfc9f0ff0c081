namespace MlOps.Contracts;

/// <summary>
/// Deploy heard of an approved version and did not serve it, and says why: the pipeline was retired, the version (or a newer
/// one) was rolled back, or a newer version already serves. The run stays "approved"; a person's promotion serves it.
/// </summary>
public record DeploymentSkipped(
    Guid RunId,
    string Pipeline,
    int Version,
    string Reason) : IRunMessage;
