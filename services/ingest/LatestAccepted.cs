namespace MlOps.Ingest;

/// <summary>The newest dataset of a pipeline that passed validation: what a retrain trains on.</summary>
public record LatestAccepted(Guid RunId, string DatasetKey, string DatasetSha256, long DatasetBytes, DateTimeOffset CreatedAt);
