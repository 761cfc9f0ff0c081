using MlOps.Contracts;

namespace MlOps.Deploy;

/// <summary>
/// A shadow: a version scoring copies of production's requests, and how often it agreed with production on this replica
/// (starting from the counts its record had); reported like a canary's (<see cref="Report"/>) and added up by the judge.
/// </summary>
public sealed class Shadow(DeployedModel model, (long Compared, long Agreed, long Failed) counted = default)
{
    public DeployedModel Model { get; } = model;
    long _compared = counted.Compared, _agreed = counted.Agreed, _failed = counted.Failed;

    public long Compared => Interlocked.Read(ref _compared);
    public long Agreed => Interlocked.Read(ref _agreed);
    public long Failed => Interlocked.Read(ref _failed);
    public void Record(int compared, int agreed) { Interlocked.Add(ref _compared, compared); Interlocked.Add(ref _agreed, agreed); }
    public void Fail() => Interlocked.Increment(ref _failed);

    readonly Lock _reporting = new();
    (long Compared, long Agreed, long Failed) _reported = counted;

    /// <summary>The rows this replica compared, agreed on and failed since its last report.</summary>
    public RolloutCounted Report()
    {
        lock (_reporting)
        {
            var now = (Compared, Agreed, Failed);
            var report = new RolloutCounted(Model.Pipeline, Model.RunId, "shadow", 0, 0, 0, 0, 0, 0, 0,
                now.Compared - _reported.Compared, now.Agreed - _reported.Agreed, now.Failed - _reported.Failed);
            _reported = now;
            return report;
        }
    }
}
