namespace MlOps.Contracts;

/// <summary>
/// What serves a pipeline (<c>deployments/{pipeline}.json</c>, written by deploy): the production version, a canary or shadow
/// beside it, the newest version rolled back, or the retirement. A restarted deploy serves from it; a restarted monitor
/// watches from it.
/// </summary>
public record DeploymentRecord(string Pipeline, int Version, Guid RunId, DateTimeOffset DeployedAt, Retirement? Retired = null, int? RolledBack = null,
    PendingRollout? Rollout = null);
