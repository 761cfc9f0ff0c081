namespace MlOps.Deploy;

/// <summary>A shadow: a version scoring copies of production's requests, and how often it agreed with production.</summary>
public sealed class Shadow(DeployedModel model, (long Compared, long Agreed, long Failed) counted = default)
{
    public DeployedModel Model { get; } = model;
    long _compared = counted.Compared, _agreed = counted.Agreed, _failed = counted.Failed;

    public long Compared => Interlocked.Read(ref _compared);
    public long Agreed => Interlocked.Read(ref _agreed);
    public long Failed => Interlocked.Read(ref _failed);
    public void Record(int compared, int agreed) { Interlocked.Add(ref _compared, compared); Interlocked.Add(ref _agreed, agreed); }
    public void Fail() => Interlocked.Increment(ref _failed);
}
