using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>One drift check of a window of live rows against the training sample: every feature's test and the verdict.</summary>
public record DriftReport(Guid RunId, string Pipeline, int Version, DateTimeOffset At, int ReferenceRows, int CurrentRows,
    double DriftedShare, double ShareThreshold, bool DatasetDrift, IReadOnlyList<FeatureDrift> Features, IReadOnlyList<FeatureHistogram>? Histograms = null);

/// <summary>Reference and current shares of one feature in ten equal-width bins over their joint range (what the report draws).</summary>
public record FeatureHistogram(string Feature, double[] Edges, double[] Reference, double[] Current);

/// <summary>What monitor decided about one window of live rows.</summary>
/// <param name="Deferred">This check deferred a drift retrain for want of new labelled rows (the first check of the episode that did).</param>
public record DriftOutcome(DriftReport Report, bool RetrainNow, string Why, DeferredRetrain? Deferred = null, long Labelled = 0);
