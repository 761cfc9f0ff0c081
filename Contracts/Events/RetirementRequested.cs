namespace MlOps.Contracts;

/// <summary>
/// A person (through the registry) retires a pipeline's model: deploy stops serving it (production, canary and shadow), unloads
/// it, and answers <see cref="ModelRetired"/>. The pipeline stays retired, also across restarts and new approvals, until a
/// person promotes a version again (<see cref="DeploymentRequested"/>).
/// </summary>
public record RetirementRequested(Guid RunId, string Pipeline, int Version, string Reason, string By) : IRunMessage;
