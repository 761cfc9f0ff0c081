using MlOps.Monitor;
using MlOps.Registry;
using MlOps.Validate;

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
