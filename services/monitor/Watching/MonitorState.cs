using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// What a restarted monitor must not forget about a pipeline's served model (<c>pipelines/{p}/monitor.json</c>): since when it
/// serves (its age), how far its schedule has been checked (so an occurrence due while monitor was down is still acted on,
/// and none twice), whether its age already asked for a retrain, the drift cooldown's start and the last drift report (what
/// a hybrid schedule decides on). The drift window of live rows in progress is not kept: a restart starts a fresh one.
/// </summary>
public record MonitorState(Guid RunId, int Version, DateTimeOffset Since, DateTimeOffset ScheduledThrough, bool AgeRetrainRequested,
    DateTimeOffset? LastRetrainAt, ScheduledCheck? LastScheduledCheck, DriftReport? LastReport, DeferredRetrain? Deferred = null);

/// <summary>
/// A drift retrain waiting for new data (<c>retraining.minNewRows</c>): the drifted check it comes from (<see cref="ReportAt"/>
/// names the episode, and so the run ID it will have), when it was deferred, and why.
/// </summary>
public record DeferredRetrain(DateTimeOffset ReportAt, DateTimeOffset Since, int MinNewRows, string Why);

/// <summary>
/// Which model of a pipeline monitor watches (<c>monitor/watching/{p}.json</c>), from the events deploy publishes
/// (ModelDeployed, ModelRetired): what a restarted monitor watches again, without reading deploy's own records.
/// </summary>
public record WatchedModel(string Pipeline, Guid RunId, int Version, DateTimeOffset ServingSince, bool Retired = false);

public record WatchStatus(string Pipeline, Guid RunId, int Version, int WindowRows, int MinSamples, DateTimeOffset? LastRetrainAt, DriftReport? LastReport,
    ScheduledCheck? LastScheduledCheck, DateTimeOffset ServingSince, DateTimeOffset ScheduledThrough, DateTimeOffset? ClockCheckedAt,
    DeferredRetrain? RetrainDeferred = null, int? Partition = null, string? Owner = null);
