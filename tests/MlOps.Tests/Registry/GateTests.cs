using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;

namespace MlOps.Tests;

/// <summary>The gate's written semantics (docs/gate.md), case by case.</summary>
public class GateTests
{
    static readonly GateSpec Spec = new() { Metric = "accuracy", Minimum = 0.8, ChampionTolerance = 0.01 };

    static ChampionEvidence Champion(double accuracy) => new(3, new Dictionary<string, double> { ["accuracy"] = accuracy }, SameRows: true);

    static Dictionary<string, double> Accuracy(double value) => new() { ["accuracy"] = value, ["f1"] = value };

    [Fact]
    public void TheFirstModelFacesOnlyTheValueThresholds()
    {
        var first = Gate.Evaluate(Spec, ModelTask.Binary, Accuracy(0.81), null);
        Assert.True(first.Approved);
        Assert.Contains(first.Reasons, r => r.Contains("first candidate"));
        var rejected = Gate.Evaluate(Spec, ModelTask.Binary, Accuracy(0.79), null);
        Assert.False(rejected.Approved);
        Assert.Contains(rejected.Reasons, r => r.Contains("below the minimum"));
    }

    [Fact]
    public void ATieWithTheChampionOnTheSameRowsPasses()
    {
        var verdict = Gate.Evaluate(Spec, ModelTask.Binary, Accuracy(0.9), Champion(0.9));
        Assert.True(verdict.Approved);
        Assert.Contains(verdict.Reasons, r => r.Contains("a tie") && r.Contains("same hold-out rows"));
    }

    [Fact]
    public void AWorseModelThanTheChampionBeyondTheToleranceIsRejected()
    {
        Assert.True(Gate.Evaluate(Spec, ModelTask.Binary, Accuracy(0.895), Champion(0.9)).Approved);
        var verdict = Gate.Evaluate(Spec, ModelTask.Binary, Accuracy(0.85), Champion(0.9));
        Assert.False(verdict.Approved);
        Assert.Contains(verdict.Reasons, r => r.Contains("worse than champion v3"));
    }

    [Fact]
    public void WithNoThresholdsOnlyTheChampionDecides()
    {
        var none = Spec with { Minimum = null };
        var first = Gate.Evaluate(none, ModelTask.Binary, Accuracy(0.1), null);
        Assert.True(first.Approved);
        Assert.Contains(first.Reasons, r => r.Contains("No value thresholds"));
        Assert.False(Gate.Evaluate(none, ModelTask.Binary, Accuracy(0.1), Champion(0.5)).Approved);
    }

    [Fact]
    public void EveryThresholdIsABoundAndErrorsAreMaxima()
    {
        var spec = new GateSpec { Minimum = 0.5, Thresholds = new() { ["f1"] = 0.85, ["logLoss"] = 0.4 } };
        var metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["f1"] = 0.84, ["logLoss"] = 0.5 };
        var verdict = Gate.Evaluate(spec, ModelTask.Binary, metrics, null);
        Assert.False(verdict.Approved);
        Assert.Contains(verdict.Reasons, r => r.Contains("f1 0.84 is below the minimum 0.85"));
        Assert.Contains(verdict.Reasons, r => r.Contains("logLoss 0.5 is above the maximum 0.4"));
        Assert.True(Gate.Evaluate(spec, ModelTask.Binary, new Dictionary<string, double> { ["accuracy"] = 0.9, ["f1"] = 0.9, ["logLoss"] = 0.3 }, null).Approved);
    }

    [Fact]
    public void RegressionGatesOnR2ByDefaultAndRmseIsLowerIsBetter()
    {
        var spec = new GateSpec { Minimum = 0.6, Metric = "auto", ChampionTolerance = 0 };
        Assert.True(Gate.Evaluate(spec, ModelTask.Regression, new Dictionary<string, double> { ["r2"] = 0.7 }, null).Approved);
        var rmse = new GateSpec { Metric = "rmse", Minimum = null, ChampionTolerance = 0.1 };
        var champion = new ChampionEvidence(1, new Dictionary<string, double> { ["rmse"] = 2.0 }, true);
        Assert.True(Gate.Evaluate(rmse, ModelTask.Regression, new Dictionary<string, double> { ["rmse"] = 2.05 }, champion).Approved);
        Assert.False(Gate.Evaluate(rmse, ModelTask.Regression, new Dictionary<string, double> { ["rmse"] = 2.2 }, champion).Approved);
    }

    [Fact]
    public void AMissingMetricIsRejected() =>
        Assert.False(Gate.Evaluate(Spec, ModelTask.Binary, new Dictionary<string, double> { ["f1"] = 1 }, null).Approved);

    /// <summary>
    /// With no minimum (the default), the bar is the best constant answer on the same rows (issue 15): a churn model at 0.64
    /// against a 0.552 majority class is worth serving, one at 0.56 is not, whatever a fixed 0.7 would have said; an r² of
    /// 0.4 beats the mean's 0; an error must be below the constant's by the margin's fraction. A minimum set by hand replaces it.
    /// </summary>
    [Fact]
    public void WithNoMinimumTheCandidateMustBeatTheBestConstantAnswer()
    {
        var gate = new GateSpec();
        Assert.Null(gate.Minimum);
        var majority = new BaselineEvidence("always 'no'", new Dictionary<string, double> { ["accuracy"] = 0.552, ["f1"] = 0 });
        var useful = Gate.Evaluate(gate, ModelTask.Binary, Accuracy(0.64), null, baseline: majority);
        Assert.True(useful.Approved);
        Assert.Contains(useful.Reasons, r => r.Contains("accuracy 0.64 beats the best constant answer (always 'no': 0.552)"));
        var useless = Gate.Evaluate(gate, ModelTask.Binary, Accuracy(0.56), null, baseline: majority);
        Assert.False(useless.Approved);
        Assert.Contains(useless.Reasons, r => r.Contains("does not beat the best constant answer") && r.Contains("margin 0.01"));

        var mean = new BaselineEvidence("the mean 151.2", new Dictionary<string, double> { ["r2"] = 0, ["rmse"] = 10 });
        Assert.True(Gate.Evaluate(gate, ModelTask.Regression, new Dictionary<string, double> { ["r2"] = 0.4 }, null, baseline: mean).Approved);
        Assert.False(Gate.Evaluate(gate, ModelTask.Regression, new Dictionary<string, double> { ["r2"] = -0.1 }, null, baseline: mean).Approved);
        var rmse = gate with { Metric = "rmse" };
        Assert.True(Gate.Evaluate(rmse, ModelTask.Regression, new Dictionary<string, double> { ["rmse"] = 9.85 }, null, baseline: mean).Approved);
        Assert.False(Gate.Evaluate(rmse, ModelTask.Regression, new Dictionary<string, double> { ["rmse"] = 9.95 }, null, baseline: mean).Approved);

        // A minimum set by hand is the bar instead, and the champion still counts.
        Assert.True(Gate.Evaluate(gate with { Minimum = 0.5 }, ModelTask.Binary, Accuracy(0.54), null, baseline: majority).Approved);
        Assert.False(Gate.Evaluate(gate, ModelTask.Binary, Accuracy(0.64), Champion(0.7), baseline: majority).Approved);
    }
}
