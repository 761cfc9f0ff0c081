using MlOps.Contracts;

namespace MlOps.Registry;

/// <summary>
/// Where a run is in its lifecycle. The facts of each status live in <see cref="RunLifecycle.Of"/>, one switch with no
/// default arm: a status added here without its facts does not compile (Registry.csproj turns off CS8524, the warning
/// about values outside the named ones, so that CS8509, a named value missing, stays an error).
/// </summary>
public enum RunStatus
{
    Requested, Validating, Training, Gating, Deploying, Approved, Deployed, Rejected, ModelRejected, RolledBack, Retired, Failed, Cancelled,
}

/// <summary>How the console shows a status.</summary>
public enum RunTone { Live, Ok, Bad, Muted }

/// <summary>
/// What a status means, decided once. <paramref name="Name"/>: as the API, the database and the console write it.
/// <paramref name="Rank"/>: a run only moves to a status of equal or higher rank, so a late or redelivered event never
/// rewinds it. <paramref name="Terminal"/>: the run has ended (the <c>run</c> command stops waiting). <paramref name="Cancellable"/>:
/// a person may still cancel it. <paramref name="ResumedBy"/>: the event that put the run here, which the resumer publishes
/// again after a crash (null: nothing to resume). <paramref name="Step"/>: how many of the five steps (arrived, validated,
/// trained, gated, deployed) the progress bar fills; null where it depends on the stage the run stopped at (failed, cancelled).
/// <paramref name="Stopped"/>: the run ended without serving (its bar is drawn as stopped).
/// </summary>
public sealed record RunStatusFacts(string Name, int Rank, bool Terminal, bool Cancellable, Type? ResumedBy, int? Step, RunTone Tone, bool Stopped = false);

/// <summary>The run lifecycle: every status's facts, and the one way to read a status's name.</summary>
public static class RunLifecycle
{
    public static RunStatusFacts Of(RunStatus status) => status switch
    {
        RunStatus.Requested => new("requested", 0, false, true, typeof(RetrainRequested), 1, RunTone.Live),
        RunStatus.Validating => new("validating", 1, false, true, typeof(DataArrived), 1, RunTone.Live),
        RunStatus.Training => new("training", 2, false, true, typeof(DataValidated), 2, RunTone.Live),
        RunStatus.Gating => new("gating", 3, false, true, typeof(ModelTrained), 3, RunTone.Live),
        RunStatus.Deploying => new("deploying", 4, false, true, typeof(ModelApproved), 4, RunTone.Live),
        // Approved but not served (the pipeline retired, or a rollback or a newer version won): it waits for a person's promotion.
        RunStatus.Approved => new("approved", 4, true, false, null, 4, RunTone.Live),
        RunStatus.Deployed => new("deployed", 9, true, false, null, 5, RunTone.Ok),
        RunStatus.Rejected => new("rejected", 9, true, false, null, 1, RunTone.Bad, Stopped: true),
        RunStatus.ModelRejected => new("model-rejected", 9, true, false, null, 4, RunTone.Bad, Stopped: true),
        RunStatus.RolledBack => new("rolled-back", 9, true, false, null, 5, RunTone.Bad),
        RunStatus.Retired => new("retired", 9, true, false, null, 5, RunTone.Muted),
        RunStatus.Failed => new("failed", 10, true, false, null, null, RunTone.Bad, Stopped: true),
        RunStatus.Cancelled => new("cancelled", 11, true, false, null, null, RunTone.Muted, Stopped: true),
    };

    public static readonly IReadOnlyList<RunStatus> All = Enum.GetValues<RunStatus>();

    static readonly Dictionary<string, RunStatus> ByName = All.ToDictionary(s => Of(s).Name, StringComparer.Ordinal);

    public static string Name(this RunStatus status) => Of(status).Name;

    public static bool TryParse(string? name, out RunStatus status) => ByName.TryGetValue(name ?? "", out status);

    /// <summary>A status as recorded; an unknown name (a database a newer MlOps wrote) reads as still moving: requested.</summary>
    public static RunStatus Parse(string name) => TryParse(name, out var status) ? status : RunStatus.Requested;

    /// <summary>The progress bar's steps for a run: the status's own, or for one that stopped, the stage it stopped after.</summary>
    public static int StepOf(RunStatus status, string stage) => Of(status).Step
        ?? stage switch { nameof(DataArrived) => 1, nameof(DataValidated) => 2, nameof(ModelTrained) => 3, nameof(ModelApproved) => 4, _ => 1 };
}
