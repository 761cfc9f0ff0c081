namespace MlOps.Contracts;

/// <summary>The exact bytes of a dataset are stored under the run (<paramref name="DatasetKey"/>) with their SHA-256.</summary>
public record DataArrived(
    Guid RunId,
    string Pipeline,
    string DatasetKey,
    string DatasetSha256,
    long Bytes,
    Trigger Trigger,
    Guid? ParentRunId) : IRunMessage;
