namespace MlOps.Contracts;

/// <summary>
/// A run's lineage, written once by ingest when the run starts (<c>runs/{runId}/manifest.json</c>): what data, which
/// spec, which code, which seed, why, and from which parent run. A retrain's dataset is the dataset of <c>BaseRunId</c> plus the
/// labelled production rows of <c>FeedbackKeys</c> (cumulative: every feedback file the dataset contains), stored as exact bytes.
/// <c>DatasetKey</c> and its hash name the CSV every stage reads; <c>Source</c>, the upload it was made from when that differs;
/// <c>StartedBy</c>, the authenticated identity that uploaded or asked for the run (null when MlOps itself started it).
/// </summary>
public record RunManifest(
    Guid RunId,
    string Pipeline,
    Trigger Trigger,
    string? Reason,
    Guid? ParentRunId,
    string DatasetKey,
    string DatasetSha256,
    long DatasetBytes,
    string SpecSha256,
    int Seed,
    string CodeVersion,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string>? FeedbackKeys = null,
    Guid? BaseRunId = null,
    DatasetSource? Source = null,
    string? StartedBy = null);
