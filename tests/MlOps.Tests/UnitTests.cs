using System.Text;
using MlOps.Contracts;
using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;
using Xunit;

namespace MlOps.Tests;

/// <summary>
/// The drift statistics against values scipy 1.10.1 computed for the same inputs (recorded here as golden values; the
/// million-row comparison with scipy itself is bench/drift.sh).
/// </summary>
public class DriftStatisticsTests
{
    static readonly double[] A = Sorted(0.1, 0.5, 0.5, 1.2, 2.0, 3.3, 3.3, 4.1, 5.0, 7.5);
    static readonly double[] B = Sorted(0.3, 0.5, 1.9, 2.2, 2.2, 3.0, 6.1, 6.2, 8.0);

    static double[] Sorted(params double[] x) { Array.Sort(x); return x; }

    [Fact]
    public void KsMatchesScipy()
    {
        var d = DriftStatistics.KsStatistic(A, B);
        Assert.Equal(0.23333333333333334, d, 1e-12);                                   // ks_2samp(a, b).statistic
        Assert.Equal(0.9587125379251848, DriftStatistics.KsPValue(d, A.Length, B.Length), 1e-12); // kstwobign.sf(√(nm/(n+m))·D)
        Assert.Equal(0.9639452436648751, DriftStatistics.Kolmogorov(0.5), 1e-12);
        Assert.Equal(0.26999967167735456, DriftStatistics.Kolmogorov(1.0), 1e-12);
        Assert.Equal(0.0006709252557796953, DriftStatistics.Kolmogorov(2.0), 1e-12);
        Assert.Equal(0.5, DriftStatistics.KsStatistic([1, 1, 1, 2], [1, 2, 2, 2]), 12); // ties step together
        Assert.Equal(0, DriftStatistics.KsStatistic(A, A));
    }

    [Fact]
    public void WassersteinAndPsiMatchScipyAndNumpy()
    {
        Assert.Equal(0.8211111111111113, DriftStatistics.Wasserstein(A, B), 1e-12);
        Assert.Equal(6.385379820941454, DriftStatistics.Psi(A, B), 1e-12);
        Assert.Equal(0, DriftStatistics.Wasserstein(A, A), 15);
    }

    [Fact]
    public void ChiSquaredAndJensenShannonMatchScipy()
    {
        var reference = new Dictionary<string, long> { ["red"] = 50, ["green"] = 30, ["blue"] = 20 };
        var current = new Dictionary<string, long> { ["red"] = 30, ["green"] = 40, ["blue"] = 30 };
        var (statistic, p) = DriftStatistics.ChiSquare(reference, current);
        Assert.Equal(16.333333333333336, statistic, 1e-10);
        Assert.Equal(0.0002839629839032563, p, 1e-12);
        Assert.Equal(0.14577767970191227, DriftStatistics.JensenShannon(reference, current), 1e-12);
        Assert.Equal(0.1925504330793957, DriftStatistics.UpperRegularizedGamma(2.5, 3.7), 1e-12); // gammaincc
        Assert.Equal(0, DriftStatistics.ChiSquare(reference, new Dictionary<string, long> { ["purple"] = 5 }).PValue); // a new category
    }

    [Fact]
    public void BenjaminiHochbergKeepsOnlyWhatSurvivesTheFalseDiscoveryRate()
    {
        // Ten tests at 5%: 0.001 and 0.008 survive (≤ 0.005, ≤ 0.01); 0.039 does not (> 0.015), nor the rest.
        double[] p = [0.039, 0.001, 0.6, 0.008, 0.2, 0.9, 0.3, 0.04, 0.5, 0.7];
        Assert.Equal([false, true, false, true, false, false, false, false, false, false], DriftStatistics.BenjaminiHochberg(p, 0.05));
    }
}

/// <summary>The gate's written semantics (README "The gate"), case by case.</summary>
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
}

/// <summary>Parquet's column types as the CSV cells every later stage reads.</summary>
public class ParquetToCsvTests
{
    public sealed class Row
    {
        public string? Name { get; set; }
        public bool Flag { get; set; }
        public int Count { get; set; }
        public long Big { get; set; }
        public float Ratio { get; set; }
        public double? Score { get; set; }
        public decimal Price { get; set; }
        public DateTime At { get; set; }
    }

    [Fact]
    public async Task EachColumnTypeBecomesTextAStageCanReadAndNullsBecomeEmptyCells()
    {
        var rows = new[]
        {
            new Row { Name = "plain", Flag = true, Count = -3, Big = 1L << 40, Ratio = 0.1f, Score = 1.0 / 3, Price = 12.50m, At = new DateTime(2026, 11, 27, 18, 3, 4, DateTimeKind.Utc) },
            new Row { Name = "comma, \"quote\"\nline", Flag = false, Count = 0, Big = -1, Ratio = float.MaxValue, Score = null, Price = -0.01m, At = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new Row { Name = null, Score = 2.5 },
        };
        var parquet = new MemoryStream();
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, parquet);
        parquet.Position = 0;
        Assert.True(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(parquet, default));

        var csv = new MemoryStream();
        await using var hashing = new MlOps.Ingest.HashingStream(csv, 1 << 20);
        var count = await MlOps.Ingest.ParquetToCsv.ConvertAsync(parquet, hashing, 1 << 20, default);
        Assert.Equal(3, count);
        Assert.Equal(csv.Length, hashing.Written);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(csv.ToArray())), hashing.Sha256());
        var text = Encoding.UTF8.GetString(csv.ToArray());
        Assert.StartsWith("Name,Flag,Count,Big,Ratio,Score,Price,At\n", text.Replace("\r\n", "\n"));
        // Each row in its own place (a required column read as optional once shifted every value down a row).
        Assert.Contains("plain,true,-3,1099511627776,0.1,0.3333333333333333,12.5,2026-11-27T18:03:04.0000000", text);
        Assert.Contains("\"comma, \"\"quote\"\"\nline\",false,0,-1,3.4028235E+38,,-0.01,2000-01-01T00:00:00.0000000", text.Replace("\r\n", "\n"));
        Assert.Contains("\n,false,0,0,0,2.5,0,0001-01-01T00:00:00.0000000", text.Replace("\r\n", "\n")); // a null is an empty cell

        // Every number reads back as the value written (float and double alike).
        Assert.Equal(0.1f, float.Parse("0.1", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1.0 / 3, double.Parse("0.3333333333333333", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AFileThatOnlyLooksLikeParquetAtOneEndIsNotParquet()
    {
        Assert.False(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(new MemoryStream("PAR1,a,b\n1,2,3\n"u8.ToArray()), default));
        Assert.False(await MlOps.Ingest.ParquetToCsv.IsParquetAsync(new MemoryStream("PAR1"u8.ToArray()), default));
    }
}
