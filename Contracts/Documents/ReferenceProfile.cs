namespace MlOps.Contracts;

/// <summary>
/// What the training data looked like, computed by validate in its single pass (<c>runs/{runId}/profile.json</c>):
/// per-feature summaries and a seeded uniform sample that monitor compares live inputs against.
/// </summary>
public record ReferenceProfile(
    Guid RunId,
    long Rows,
    string Target,
    IReadOnlyDictionary<string, long> TargetCounts,
    IReadOnlyList<FeatureProfile> Features);
