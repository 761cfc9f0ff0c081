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

/// <summary>A numeric feature has its moments and <see cref="Sample"/>; a categorical one (declared string) its value counts and an empty sample.</summary>
public record FeatureProfile(string Name, long Count, double Min, double Max, double Mean, double StdDev, double[] Sample,
    IReadOnlyDictionary<string, long>? Categories = null);
