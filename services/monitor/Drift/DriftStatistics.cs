namespace MlOps.Monitor;

/// <summary>
/// The drift statistics, each defined as the tool people check against defines it (and checked against scipy by
/// <c>bench/drift.sh</c>). Numeric functions take samples already sorted ascending, so one sort per feature serves every test.
/// <list type="bullet">
/// <item>Kolmogorov–Smirnov: D = sup |F_ref − F_cur| (exact, ties stepped together); p = Q_KS(√(nm/(n+m))·D), the asymptotic
/// Kolmogorov distribution (scipy: <c>kstwobign.sf</c>).</item>
/// <item>Wasserstein-1: ∫ |F_ref − F_cur| dx (scipy: <c>wasserstein_distance</c>); "normalized" divides by the reference's
/// standard deviation, as Evidently does, so one threshold (0.1) fits every feature.</item>
/// <item>PSI: ten equal-width bins over the range of both samples, empty bins counted as 0.0001, Σ (c − r)·ln(c / r)
/// (Evidently's definition).</item>
/// <item>Chi-squared: observed current counts against reference proportions scaled to the current total, over every category
/// of either sample; p from the χ² distribution with k − 1 degrees of freedom (scipy: <c>chisquare</c>). A category the
/// reference never had gives p = 0.</item>
/// <item>Jensen–Shannon distance (natural log): √((KL(p‖m) + KL(q‖m)) / 2) (scipy: <c>jensenshannon</c>).</item>
/// </list>
/// </summary>
public static class DriftStatistics
{
    public static double KsStatistic(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        int i = 0, j = 0;
        double d = 0, n = reference.Length, m = current.Length;
        while (i < reference.Length && j < current.Length)
        {
            var x = Math.Min(reference[i], current[j]);
            while (i < reference.Length && reference[i] == x) i++;
            while (j < current.Length && current[j] == x) j++;
            d = Math.Max(d, Math.Abs(i / n - j / m));
        }
        return d;
    }

    public static double KsPValue(double statistic, int n, int m) => Kolmogorov(Math.Sqrt((double)n * m / (n + m)) * statistic);

    /// <summary>Q_KS(λ) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²); for small λ the equivalent theta-function series (it converges there).</summary>
    public static double Kolmogorov(double lambda)
    {
        if (lambda <= 0) return 1;
        if (lambda < 1.18)
        {
            // 1 − Q = √(2π)/λ Σ_{k≥1} e^(−(2k−1)²π²/(8λ²))
            var w = Math.PI * Math.PI / (8 * lambda * lambda);
            double cdf = 0;
            for (var k = 1; k <= 100; k++)
            {
                var term = Math.Exp(-(2 * k - 1) * (2 * k - 1) * w);
                cdf += term;
                if (term < 1e-17 * cdf) break;
            }
            return Math.Clamp(1 - Math.Sqrt(2 * Math.PI) / lambda * cdf, 0, 1);
        }
        double sum = 0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += k % 2 == 1 ? term : -term;
            if (term < 1e-17 * Math.Abs(sum)) break;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    public static double Wasserstein(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        int i = 0, j = 0;
        double n = reference.Length, m = current.Length, total = 0;
        var x = Math.Min(reference[0], current[0]);
        while (i < reference.Length || j < current.Length)
        {
            while (i < reference.Length && reference[i] == x) i++;
            while (j < current.Length && current[j] == x) j++;
            if (i == reference.Length && j == current.Length) break;
            var next = i == reference.Length ? current[j] : j == current.Length ? reference[i] : Math.Min(reference[i], current[j]);
            total += Math.Abs(i / n - j / m) * (next - x);
            x = next;
        }
        return total;
    }

    public static double StandardDeviation(ReadOnlySpan<double> values)
    {
        double mean = 0, m2 = 0;
        for (var k = 0; k < values.Length; k++)
        {
            var delta = values[k] - mean;
            mean += delta / (k + 1);
            m2 += delta * (values[k] - mean);
        }
        return values.Length > 0 ? Math.Sqrt(m2 / values.Length) : 0; // population, as numpy's std
    }

    public static double Psi(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, int bins = 10)
    {
        var histogram = Histogram(reference, current, bins);
        double total = 0;
        for (var k = 0; k < histogram.Reference.Length; k++)
        {
            var r = histogram.Reference[k] == 0 ? 0.0001 : histogram.Reference[k];
            var c = histogram.Current[k] == 0 ? 0.0001 : histogram.Current[k];
            total += (c - r) * Math.Log(c / r);
        }
        return total;
    }

    /// <summary>
    /// Both samples' shares in equal-width bins over their joint range (numpy's <c>histogram_bin_edges</c> and
    /// <c>histogram</c>: each bin [low, high), the last one closed). PSI is computed on these bins, and the drift report draws them.
    /// </summary>
    public static (double[] Edges, double[] Reference, double[] Current) Histogram(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, int bins = 10)
    {
        var low = Math.Min(reference[0], current[0]);
        var high = Math.Max(reference[^1], current[^1]);
        if (high <= low) return ([low, high], [1], [1]);
        var step = (high - low) / bins;
        var edges = new double[bins + 1];
        for (var k = 0; k < bins; k++) edges[k] = low + k * step;
        edges[bins] = high;
        var r = new double[bins];
        var c = new double[bins];
        for (var k = 0; k < bins; k++)
        {
            r[k] = Share(reference, edges, k, bins);
            c[k] = Share(current, edges, k, bins);
        }
        return (edges, r, c);

        static double Share(ReadOnlySpan<double> sorted, double[] edges, int bin, int bins)
        {
            var from = LowerBound(sorted, edges[bin]);
            var to = bin == bins - 1 ? sorted.Length : LowerBound(sorted, edges[bin + 1]);
            return (double)(to - from) / sorted.Length;
        }
    }

    static int LowerBound(ReadOnlySpan<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    public static (double Statistic, double PValue) ChiSquare(IReadOnlyDictionary<string, long> reference, IReadOnlyDictionary<string, long> current)
    {
        var keys = reference.Keys.Union(current.Keys).ToList();
        double referenceTotal = reference.Values.Sum(), currentTotal = current.Values.Sum();
        double statistic = 0;
        foreach (var key in keys)
        {
            var expected = reference.GetValueOrDefault(key) / referenceTotal * currentTotal;
            var observed = (double)current.GetValueOrDefault(key);
            if (expected == 0) { if (observed > 0) return (double.PositiveInfinity, 0); continue; }
            statistic += (observed - expected) * (observed - expected) / expected;
        }
        return (statistic, keys.Count < 2 ? 1 : UpperRegularizedGamma((keys.Count - 1) / 2.0, statistic / 2));
    }

    public static double JensenShannon(IReadOnlyDictionary<string, long> reference, IReadOnlyDictionary<string, long> current)
    {
        var keys = reference.Keys.Union(current.Keys).ToList();
        double rt = reference.Values.Sum(), ct = current.Values.Sum(), kl1 = 0, kl2 = 0;
        foreach (var key in keys)
        {
            var p = reference.GetValueOrDefault(key) / rt;
            var q = current.GetValueOrDefault(key) / ct;
            var mid = (p + q) / 2;
            if (p > 0) kl1 += p * Math.Log(p / mid);
            if (q > 0) kl2 += q * Math.Log(q / mid);
        }
        return Math.Sqrt(Math.Max(0, (kl1 + kl2) / 2));
    }

    /// <summary>Benjamini–Hochberg: which p-values stay significant at false-discovery rate <paramref name="alpha"/>.</summary>
    public static bool[] BenjaminiHochberg(IReadOnlyList<double> pValues, double alpha)
    {
        var order = Enumerable.Range(0, pValues.Count).OrderBy(i => pValues[i]).ToArray();
        var cutoff = -1;
        for (var rank = 0; rank < order.Length; rank++)
            if (pValues[order[rank]] <= alpha * (rank + 1) / order.Length) cutoff = rank;
        var significant = new bool[pValues.Count];
        for (var rank = 0; rank <= cutoff; rank++) significant[order[rank]] = true;
        return significant;
    }

    /// <summary>Q(a, x) = Γ(a, x)/Γ(a): the series for x &lt; a + 1, Lentz's continued fraction beyond (Numerical Recipes' gammq).</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0) return 1;
        var logPrefix = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum;
            for (var n = 1; n < 1000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-16) break;
            }
            return Math.Clamp(1 - sum * Math.Exp(logPrefix), 0, 1);
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b; if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Clamp(Math.Exp(logPrefix) * h, 0, 1);
    }

    /// <summary>ln Γ(x) by the Lanczos approximation (g = 7, 9 terms; relative error near 1e-15).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        x -= 1;
        var a = g[0];
        var t = x + 7.5;
        for (var i = 1; i < 9; i++) a += g[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }
}
