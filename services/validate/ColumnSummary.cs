using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// TFDV-style statistics of one column for the report: type, nulls, distinct count, moments and a histogram.
/// Numeric histograms are drawn from the column's seeded uniform sample (<see cref="SampledFrom"/> values, all of them
/// for small files); categorical ones count every row of the most frequent values.
/// </summary>
public record ColumnSummary(
    string Name,
    ColumnType Type,
    ColumnType? Declared,
    long Nulls,
    double NullRate,
    int? Distinct,
    double? Min,
    double? Max,
    double? Mean,
    double? StdDev,
    double? Median,
    int SampledFrom,
    IReadOnlyList<HistogramBin> Histogram)
{
    const int Bins = 20;

    public static IReadOnlyList<ColumnSummary> From(DatasetScan scan) => scan.ByColumn.Values.Select(c =>
    {
        var sample = c.Sample();
        var numeric = c.Numbers > 0 && c.InferredType is ColumnType.Number or ColumnType.Integer;
        return new ColumnSummary(c.Name, c.InferredType, c.Declared, c.Empty.Count, Math.Round(c.NullRate, 6), c.Categories?.Count,
            numeric ? c.Min : null, numeric ? c.Max : null, numeric ? c.Mean : null, numeric ? c.StdDev : null, numeric ? c.Median() : null,
            numeric ? sample.Length : 0,
            numeric ? NumericHistogram(sample, c.Min, c.Max) : TopValues(c.Categories));
    }).ToList();

    static List<HistogramBin> NumericHistogram(double[] sample, double min, double max)
    {
        if (sample.Length == 0) return [];
        if (max <= min) return [new HistogramBin(min, max, null, sample.Length)];
        var counts = new long[Bins];
        var width = (max - min) / Bins;
        foreach (var x in sample) counts[Math.Clamp((int)((x - min) / width), 0, Bins - 1)]++;
        return counts.Select((n, i) => new HistogramBin(min + i * width, min + (i + 1) * width, null, n)).ToList();
    }

    static List<HistogramBin> TopValues(IReadOnlyDictionary<string, long>? categories) => categories is null ? []
        : categories.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(Bins)
            .Select(kv => new HistogramBin(null, null, kv.Key, kv.Value)).ToList();
}

/// <summary>A numeric bin [From, To) or one categorical value, with its count.</summary>
public record HistogramBin(double? From, double? To, string? Value, long Count);
