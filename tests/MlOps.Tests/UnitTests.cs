using System.Text;
using MlOps.Contracts;
using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;
using Xunit;

namespace MlOps.Tests;

public class ValidationSuiteTests
{
    static ValidationReport Validate(string csv, int minRows = 3)
    {
        var spec = new PipelineSpec { Validation = new ValidationSpec { MinRows = minRows } };
        var scan = DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv)), spec);
        return new ExpectationSuite(spec.Validation).Evaluate(Guid.NewGuid(), "p", scan);
    }

    static ExpectationResult Failed(ValidationReport report, string expectation) =>
        Assert.Single(report.Results, r => r.Expectation == expectation && !r.Success);

    [Fact]
    public void AcceptsCleanDataAndCountsEveryExpectation()
    {
        var report = Validate("a,b,label\n1,2,x\n3,4,y\n5,6,x\n");
        Assert.True(report.Success);
        Assert.Equal(3, report.Rows);
        Assert.Equal(report.Results.Count, report.Statistics.EvaluatedExpectations);
        Assert.Equal(100, report.Statistics.SuccessPercent);
    }

    [Fact]
    public void RejectsAnEmptyFileForHavingNoHeader()
    {
        var report = Validate("");
        Assert.False(report.Success);
        Assert.Contains("empty", Failed(report, "expect_table_header_present").Message);
    }

    [Fact]
    public void RejectsAHeaderOnlyFileForTooFewRows() =>
        Assert.Contains("0 data rows", Failed(Validate("a,b,label\n"), "expect_table_row_count_to_be_at_least").Message);

    [Fact]
    public void RejectsRaggedRowsNamingTheLines()
    {
        var failed = Failed(Validate("a,b,label\n1,2,x\n3,4\n5,6,y,7\n8,9,y\n"), "expect_table_rows_to_match_header_width");
        Assert.Equal("2", failed.Observed);
        Assert.Contains(failed.Examples, e => e.StartsWith("line 3"));
        Assert.Contains(failed.Examples, e => e.StartsWith("line 4"));
    }

    [Fact]
    public void RejectsEmptyCellsAndNonNumericFeaturesWithExamples()
    {
        var report = Validate("a,b,label\n1,,x\n3,abc,y\nNaN,Infinity,x\n4,5,y\n");
        Assert.Equal("b", Failed(report, "expect_column_values_to_not_be_null").Column);
        var notNumbers = report.Results.Where(r => r.Expectation == "expect_column_values_to_be_finite_numbers" && !r.Success).ToList();
        Assert.Equal(["a", "b"], notNumbers.Select(r => r.Column).Order());
        Assert.Contains(notNumbers.Single(r => r.Column == "b").Examples, e => e.Contains("'abc'"));
        Assert.Contains(notNumbers.Single(r => r.Column == "a").Examples, e => e.Contains("'NaN'"));
    }

    [Fact]
    public void RejectsASingleClassTarget() =>
        Assert.Contains("1 distinct value", Failed(Validate("a,label\n1,x\n2,x\n3,x\n"), "expect_column_unique_value_count_to_be_at_least").Message);

    [Fact]
    public void RejectsDuplicateColumnNames() =>
        Assert.Contains("a", Failed(Validate("a,a,label\n1,2,x\n3,4,y\n5,6,x\n"), "expect_column_names_to_be_unique").Message);

    [Fact]
    public void ReadsBomCrlfAndQuotedFieldsWithCommasAndNewlines()
    {
        var report = Validate("\uFEFFa,b,label\r\n1,2,\"x, with comma\"\r\n3,4,\"y\nwith newline\"\r\n5,6,x\r\n");
        Assert.True(report.Success, string.Join(" ", report.Reasons));
        Assert.Equal(["a", "b", "label"], report.Columns);
        Assert.Equal(3, report.Rows);
    }

    [Fact]
    public void ProfilesFeaturesForDriftInTheSamePass()
    {
        var spec = new PipelineSpec();
        var csv = "a,label\n" + string.Join("\n", Enumerable.Range(1, 100).Select(i => $"{i},{i % 2}"));
        var profile = DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv)), spec).ToProfile(Guid.NewGuid());
        var a = Assert.Single(profile.Features);
        Assert.Equal((1, 100, 50.5, 100), (a.Min, a.Max, a.Mean, a.Sample.Length));
        Assert.Equal(50, profile.TargetCounts["0"]);
    }
}

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
