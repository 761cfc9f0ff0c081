namespace MlOps.Monitor;

/// <summary>
/// The two-sample Kolmogorov–Smirnov test. The statistic is exact (the largest gap between the two empirical CDFs,
/// ties handled by stepping past equal values in both samples). The p-value is the asymptotic Kolmogorov distribution with
/// Stephens' small-sample correction (Numerical Recipes' <c>kstwo</c>): λ = (√n_e + 0.12 + 0.11/√n_e)·D, n_e = nm/(n+m).
/// </summary>
public static class KolmogorovSmirnov
{
    public static (double Statistic, double PValue) Test(double[] reference, double[] current)
    {
        if (reference.Length == 0 || current.Length == 0) throw new ArgumentException("Both samples need at least one value.");
        var a = (double[])reference.Clone();
        var b = (double[])current.Clone();
        Array.Sort(a);
        Array.Sort(b);
        int i = 0, j = 0;
        double d = 0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] == x) i++;
            while (j < b.Length && b[j] == x) j++;
            d = Math.Max(d, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }
        var en = Math.Sqrt((double)a.Length * b.Length / (a.Length + b.Length));
        return (d, Kolmogorov((en + 0.12 + 0.11 / en) * d));
    }

    /// <summary>Q_KS(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²), the probability of a gap at least this large under the null.</summary>
    static double Kolmogorov(double lambda)
    {
        if (lambda < 1e-3) return 1.0;
        double sum = 0, previous = 0;
        for (var k = 1; k <= 100; k++)
        {
            var term = 2 * (k % 2 == 1 ? 1 : -1) * Math.Exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) <= 1e-10 * Math.Abs(sum) || Math.Abs(term) <= 1e-16 * previous) return Math.Clamp(sum, 0, 1);
            previous = Math.Abs(term);
        }
        return 1.0; // the series did not settle: no evidence either way
    }
}
