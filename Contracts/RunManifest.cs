namespace MlOps.Contracts;

/// <summary>
/// A run's lineage, written once by ingest when the run starts (<c>runs/{runId}/manifest.json</c>): what data, which
/// spec, which code, which seed, why, and from which parent run.
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
    DateTimeOffset CreatedAt);
