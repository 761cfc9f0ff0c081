namespace MlOps.Contracts;

/// <summary>
/// One deploy replica → the rollout judge (one active consumer among the replicas): what this replica's share of a canary or
/// shadow did since its last report, as increments (predictions the canary answered, requests, errors and latency of canary
/// and production, rows a shadow compared, agreed on and failed). The judge adds every replica's increments up and decides
/// once, on the traffic of all of them.
/// </summary>
public record RolloutCounted(
    string Pipeline,
    Guid RunId,
    string Kind,
    long Served,
    long CanaryRequests,
    long CanaryErrors,
    long CanaryMicroseconds,
    long ProductionRequests,
    long ProductionErrors,
    long ProductionMicroseconds,
    long Compared = 0,
    long Agreed = 0,
    long Failed = 0);
