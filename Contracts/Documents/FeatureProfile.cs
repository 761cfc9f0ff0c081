namespace MlOps.Contracts;

/// <summary>A numeric feature has its moments and <see cref="Sample"/>; a categorical one (declared string) its value counts and an empty sample.</summary>
public record FeatureProfile(string Name, long Count, double Min, double Max, double Mean, double StdDev, double[] Sample,
    IReadOnlyDictionary<string, long>? Categories = null);
