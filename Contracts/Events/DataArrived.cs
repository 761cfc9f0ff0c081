namespace MlOps.Contracts;

/// <summary>
/// A run started: its dataset's exact bytes are stored under the run (<c>ArtifactKeys.Dataset</c>) with their SHA-256.
/// Events carry no storage keys: every stage finds a run's files by <c>ArtifactKeys</c>, the one layout. <paramref name="By"/>:
/// the authenticated identity that uploaded or asked for the run; null when MlOps itself started it (drift, schedule, …).
/// <paramref name="Spec"/>: the exact spec the run runs with (also stored as <c>ArtifactKeys.Spec</c>), carried on the
/// run's events so no stage reads it back; <paramref name="Manifest"/>, the run's lineage record, likewise (null on a message
/// from an older MlOps: the stage then reads the stored one).
/// </summary>
public record DataArrived(
    Guid RunId,
    string Pipeline,
    string DatasetSha256,
    long Bytes,
    Trigger Trigger,
    Guid? ParentRunId,
    string? By = null,
    PipelineSpec? Spec = null,
    RunManifest? Manifest = null) : IRunMessage;
