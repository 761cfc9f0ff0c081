using MlOps.Scoring;
using MlOps.Train;

namespace MlOps.Tests;

/// <summary>The canary's verdict against production, case by case.</summary>
public class CanaryVerdictTests
{
    static MlOps.Deploy.ServingStats Stats(int requests, int errors, double ms)
    {
        var stats = new MlOps.Deploy.ServingStats();
        for (var i = 0; i < requests; i++) stats.Record(TimeSpan.FromMilliseconds(ms), failed: i < errors);
        return stats;
    }

    [Fact]
    public void ACanaryAsGoodAsProductionIsPromoted() => Assert.True(MlOps.Deploy.CanaryVerdict.Judge(Stats(500, 1, 0.5), Stats(1000, 2, 0.5)).Promote);

    [Fact]
    public void ACanaryThatFailsMoreOftenIsRolledBack()
    {
        var (promote, reason) = MlOps.Deploy.CanaryVerdict.Judge(Stats(500, 25, 0.5), Stats(1000, 2, 0.5));
        Assert.False(promote);
        Assert.Contains("error rate", reason);
    }

    [Fact]
    public void ACanaryThatIsMuchSlowerIsRolledBack()
    {
        Assert.True(MlOps.Deploy.CanaryVerdict.Judge(Stats(500, 0, 1.2), Stats(1000, 0, 0.5)).Promote); // within 1.5× + 1 ms
        var (promote, reason) = MlOps.Deploy.CanaryVerdict.Judge(Stats(500, 0, 4), Stats(1000, 0, 0.5));
        Assert.False(promote);
        Assert.Contains("latency", reason);
        Assert.True(MlOps.Deploy.CanaryVerdict.Judge(Stats(20, 0, 4), Stats(1000, 0, 0.5)).Promote); // 20 requests: too few to judge latency
    }
}
