namespace MlOps.Contracts;

/// <summary>
/// What serves a pipeline (<c>deployments/{pipeline}.json</c>, written by deploy): the production version, a canary or shadow
/// beside it, the newest version rolled back, or the retirement. A restarted deploy serves from it; a restarted monitor
/// watches from it.
/// </summary>
public record DeploymentRecord(string Pipeline, int Version, Guid RunId, DateTimeOffset DeployedAt, Retirement? Retired = null, int? RolledBack = null,
    PendingRollout? Rollout = null);

/// <summary>
/// A canary or shadow beside production, as a restarted deploy must start it again. A canary keeps when it started (its
/// <c>minDuration</c> clock) and how many predictions it had answered at the last checkpoint; a shadow, how many rows it
/// compared, agreed on and failed. Error and latency statistics start afresh.
/// </summary>
public record PendingRollout(string Kind, int Version, Guid RunId, RolloutSpec Spec, DateTimeOffset? Started = null, long Served = 0,
    long Compared = 0, long Agreed = 0, long Failed = 0);

/// <summary>A pipeline nothing serves any more, by a person's command: its last version, when, who and why.</summary>
public record Retirement(int Version, Guid RunId, DateTimeOffset At, string By, string Reason);
