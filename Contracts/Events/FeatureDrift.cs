namespace MlOps.Contracts;

/// <summary>The result of one feature's test: the statistic, its p-value where the test has one, and the verdict.</summary>
public record FeatureDrift(string Feature, string Test, double Statistic, double? PValue, double Threshold, bool Drifted);
