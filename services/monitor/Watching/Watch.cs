using MlOps.Contracts;

namespace MlOps.Monitor;

/// <summary>
/// One pipeline's serving model as monitor watches it: the model (run, version, spec, training profile), the window of live
/// rows the drift check fills, and the triggers' state (schedule position, age, drift cooldown, last report). Mutated under
/// its own lock.
/// </summary>
public sealed class Watch(Guid runId, int version, PipelineSpec spec, ReferenceProfile profile, DateTimeOffset? lastRetrainAt, DateTimeOffset since)
{
    /// <summary>When this model began to be watched: the start of its schedule and its age.</summary>
    public DateTimeOffset Since { get; } = since;
    public DateTimeOffset ScheduledThrough { get; set; } = since;
    public bool AgeRetrainRequested { get; set; }
    public ScheduledCheck? LastScheduledCheck { get; set; }
    /// <summary>The clock time the scheduler last looked at this model's schedule and age, due or not (not kept across restarts).</summary>
    public DateTimeOffset? ClockCheckedAt { get; set; }
    public Guid RunId { get; } = runId;
    public int Version { get; } = version;
    public PipelineSpec Spec { get; } = spec;
    public ReferenceProfile Profile { get; } = profile;
    public List<float[]> Window { get; } = [];
    /// <summary>The text values of the window's rows, in the order of <see cref="Categorical"/> (empty when not served).</summary>
    public List<string[]> TextWindow { get; } = [];
    public IReadOnlyList<FeatureProfile> Categorical { get; } = profile.Features.Where(f => f.Categories is not null).ToList();
    /// <summary>When drift last asked for a retrain: the start of the drift cooldown.</summary>
    public DateTimeOffset? LastRetrainAt { get; set; } = lastRetrainAt;
    public DriftReport? LastReport { get; set; }
    /// <summary>A drift retrain waiting for labelled rows (<see cref="DriftTrigger"/>), until they arrive or the model is replaced.</summary>
    public DeferredRetrain? DeferredRetrain { get; set; }

    public MonitorState State() => new(RunId, Version, Since, ScheduledThrough, AgeRetrainRequested, LastRetrainAt, LastScheduledCheck, LastReport, DeferredRetrain);

    /// <summary>The same model's watch as it was before a restart.</summary>
    public static Watch Restored(MonitorState saved, PipelineSpec spec, ReferenceProfile profile) =>
        new(saved.RunId, saved.Version, spec, profile, saved.LastRetrainAt, saved.Since)
        {
            ScheduledThrough = saved.ScheduledThrough, AgeRetrainRequested = saved.AgeRetrainRequested,
            LastScheduledCheck = saved.LastScheduledCheck, LastReport = saved.LastReport, DeferredRetrain = saved.Deferred,
        };

    /// <summary>The numeric features (those with a sample), in the order of the window's columns.</summary>
    public IReadOnlyList<FeatureProfile> Numeric { get; } = profile.Features.Where(f => f.Sample.Length > 0).ToList();

    readonly double[]?[] _sorted = new double[]?[profile.Features.Count];

    /// <summary>The training sample of a numeric feature, sorted once and kept.</summary>
    public double[] SortedSample(int i)
    {
        if (_sorted[i] is { } done) return done;
        var sorted = Numeric[i].Sample.Where(double.IsFinite).ToArray();
        Array.Sort(sorted);
        return _sorted[i] = sorted;
    }
}
