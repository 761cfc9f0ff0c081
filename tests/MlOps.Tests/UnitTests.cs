using System.Text;
using MlOps.Contracts;
using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;
using Xunit;

namespace MlOps.Tests;

public class KolmogorovSmirnovTests
{
    [Fact]
    public void IdenticalSamplesHaveNoGap()
    {
        var x = Enumerable.Range(0, 500).Select(i => (double)i).ToArray();
        var (d, p) = KolmogorovSmirnov.Test(x, x);
        Assert.Equal(0, d);
        Assert.Equal(1, p);
    }

    [Fact]
    public void MatchesTheStatisticAndAsymptoticPValueOfAKnownCase()
    {
        // Two disjoint halves of 0..199 shifted by 50: D = 0.5 exactly; n_e = 50, λ = (√50 + 0.12 + 0.11/√50)·0.5.
        var a = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var b = Enumerable.Range(50, 100).Select(i => (double)i).ToArray();
        var (d, p) = KolmogorovSmirnov.Test(a, b);
        Assert.Equal(0.5, d, 12);
        var lambda = (Math.Sqrt(50) + 0.12 + 0.11 / Math.Sqrt(50)) * 0.5;
        var expected = 2 * Enumerable.Range(1, 100).Sum(k => (k % 2 == 1 ? 1 : -1) * Math.Exp(-2.0 * k * k * lambda * lambda));
        Assert.Equal(expected, p, 12);
        Assert.True(p < 1e-8);
    }

    [Fact]
    public void HandlesTiesLikeTheEmpiricalCdf()
    {
        var (d, _) = KolmogorovSmirnov.Test([1, 1, 1, 2], [1, 2, 2, 2]);
        Assert.Equal(0.5, d, 12); // at x = 1: F_a = 0.75, F_b = 0.25
    }
}

public class GateTests
{
    static readonly GateSpec Spec = new() { Metric = "accuracy", Minimum = 0.8, ChampionTolerance = 0.01 };

    static ModelVersion Champion(double accuracy) =>
        new("p", 3, Guid.NewGuid(), "sha", new Dictionary<string, double> { ["accuracy"] = accuracy }, true, [], DateTimeOffset.UtcNow, ["champion"]);

    static Dictionary<string, double> Accuracy(double value) => new() { ["accuracy"] = value };

    [Fact]
    public void TheFirstModelFacesOnlyTheMinimum()
    {
        Assert.True(Gate.Evaluate(Spec, Accuracy(0.81), null).Approved);
        var rejected = Gate.Evaluate(Spec, Accuracy(0.79), null);
        Assert.False(rejected.Approved);
        Assert.Contains(rejected.Reasons, r => r.Contains("below the minimum"));
    }

    [Fact]
    public void ATieWithTheChampionPasses() => Assert.True(Gate.Evaluate(Spec, Accuracy(0.9), Champion(0.9)).Approved);

    [Fact]
    public void AWorseModelThanTheChampionBeyondTheToleranceIsRejected()
    {
        Assert.True(Gate.Evaluate(Spec, Accuracy(0.895), Champion(0.9)).Approved);
        var verdict = Gate.Evaluate(Spec, Accuracy(0.85), Champion(0.9));
        Assert.False(verdict.Approved);
        Assert.Contains(verdict.Reasons, r => r.Contains("worse than champion v3"));
    }

    [Fact]
    public void AMissingMetricIsRejected() =>
        Assert.False(Gate.Evaluate(Spec, new Dictionary<string, double> { ["f1"] = 1 }, null).Approved);
}
