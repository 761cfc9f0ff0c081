namespace MlOps.Contracts;

/// <summary>
/// A canary or shadow beside production, as a restarted deploy must start it again. A canary keeps when it started (its
/// <c>minDuration</c> clock) and how many predictions it had answered at the last checkpoint; a shadow, how many rows it
/// compared, agreed on and failed. Error and latency statistics start afresh.
/// </summary>
public record PendingRollout(string Kind, int Version, Guid RunId, RolloutSpec Spec, DateTimeOffset? Started = null, long Served = 0,
    long Compared = 0, long Agreed = 0, long Failed = 0);
