namespace MlOps.Contracts;

/// <summary>A canary version was taken out of serving (it answers no request from now on); the production version answers all.</summary>
public record DeploymentRolledBack(
    Guid RunId,
    string Pipeline,
    int Version,
    int ServingVersion,
    string Reason,
    DateTimeOffset At) : IRunMessage;
