using System.Runtime.InteropServices;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// One column's observations in the single pass: nulls, what its values parse as (with examples of the odd ones),
/// Welford moments, exact min and max, a seeded reservoir sample (median, histograms, the drift reference) and,
/// up to <see cref="MaxCategories"/> distinct values, the count of each value.
/// </summary>
public sealed class ColumnScan(string name, ColumnType? declared, bool isTarget, int sampleSize, Random random)
{
    public const int MaxCategories = 1000;

    public string Name { get; } = name;
    /// <summary>The declared type (features default to number); null for the target, which may be any label.</summary>
    public ColumnType? Declared { get; } = declared;
    public bool IsTarget { get; } = isTarget;
    public List<ValueCheck> Checks { get; } = [];

    public Tally Empty { get; } = new();
    public long NonNull { get; private set; }
    public long Numbers { get; private set; }
    public Tally NonFinite { get; } = new();
    public Tally Texts { get; } = new();
    public Tally NonIntegral { get; } = new();
    public Tally NonBoolean { get; } = new();

    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    public double Mean { get; private set; }
    double _m2;
    public double StdDev => Numbers > 1 ? Math.Sqrt(_m2 / (Numbers - 1)) : 0;
    public double NullRate => Empty.Count + NonNull == 0 ? 0 : (double)Empty.Count / (Empty.Count + NonNull);

    readonly List<double> _reservoir = [];
    Dictionary<string, long>? _categories = new(StringComparer.Ordinal);

    /// <summary>Value → count, or null when the column has more than <see cref="MaxCategories"/> distinct values.</summary>
    public IReadOnlyDictionary<string, long>? Categories => _categories;

    /// <summary>What the values are: integer or number when all parse as numbers, boolean when all are true/false, else string.</summary>
    public ColumnType InferredType =>
        NonNull == 0 ? Declared ?? ColumnType.String
        : Texts.Count == 0 ? (NonIntegral.Count == 0 && NonFinite.Count == 0 ? ColumnType.Integer : ColumnType.Number)
        : NonBoolean.Count == 0 ? ColumnType.Boolean
        : ColumnType.String;

    public void Observe(ReadOnlySpan<char> value, double? number, int line)
    {
        if (value.IsEmpty)
        {
            Empty.Add(line);
            foreach (var check in Checks) check.ObserveNull(line);
            return;
        }
        NonNull++;
        if (number is double x)
        {
            if (double.IsFinite(x)) ObserveNumber(x, value, line);
            else NonFinite.Add(value, line);
            NonBoolean.Add(value, line);
        }
        else
        {
            Texts.Add(value, line);
            if (!IsBoolean(value)) NonBoolean.Add(value, line);
        }
        if (_categories is not null) CountCategory(value);
        foreach (var check in Checks) check.Observe(value, number, line);
    }

    void ObserveNumber(double x, ReadOnlySpan<char> value, int line)
    {
        var n = ++Numbers;
        if (x < Min) Min = x;
        if (x > Max) Max = x;
        var delta = x - Mean;
        Mean += delta / n;
        _m2 += delta * (x - Mean);
        if (x != Math.Floor(x)) NonIntegral.Add(value, line);
        if (_reservoir.Count < sampleSize) _reservoir.Add(x);
        else
        {
            var j = random.NextInt64(n);
            if (j < sampleSize) _reservoir[(int)j] = x;
        }
    }

    void CountCategory(ReadOnlySpan<char> value)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_categories!.GetAlternateLookup<ReadOnlySpan<char>>(), value, out var exists);
        if (!exists && _categories.Count > MaxCategories) { _categories = null; return; }
        count++;
    }

    static bool IsBoolean(ReadOnlySpan<char> v) => v.Equals("true", StringComparison.OrdinalIgnoreCase) || v.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>The seeded uniform sample of the numeric values (all of them when there are fewer than the sample size).</summary>
    public double[] Sample() => [.. _reservoir];

    /// <summary>The median of the sample: exact up to the sample size, an estimate with a known error beyond.</summary>
    public double? Median()
    {
        if (_reservoir.Count == 0) return null;
        var sorted = Sample();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static string Example(ReadOnlySpan<char> value, int line) => $"line {line}: '{Clip(value)}'";

    static string Clip(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : string.Concat(s[..40], "…");
}

/// <summary>How many values had some property, with the first few as examples ("line 12: 'abc'").</summary>
public sealed class Tally
{
    public long Count { get; private set; }
    public List<string> Examples { get; } = [];

    public void Add(ReadOnlySpan<char> value, int line)
    {
        Count++;
        if (Examples.Count < DatasetScan.MaxExamples) Examples.Add(ColumnScan.Example(value, line));
    }

    public void Add(int line)
    {
        Count++;
        if (Examples.Count < DatasetScan.MaxExamples) Examples.Add($"line {line}");
    }
}
