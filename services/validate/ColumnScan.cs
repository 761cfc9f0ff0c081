using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// One column's observations in the single pass: nulls, what its values parse as (with examples of the odd ones),
/// moments, exact min and max, a bottom-k uniform sample (median, histograms, the drift reference) and, up to
/// <see cref="MaxCategories"/> distinct values, the count of each value. Each block of the file is observed by a
/// <see cref="Fork"/> and merged back in file order, so the result does not depend on how many cores did the work.
/// </summary>
public sealed class ColumnScan(string name, ColumnType? declared, bool isTarget, int sampleSize)
{
    public const int MaxCategories = 1000;

    public string Name { get; } = name;
    /// <summary>The declared type (features default to number); null for the target, which may be any label.</summary>
    public ColumnType? Declared { get; } = declared;
    public bool IsTarget { get; } = isTarget;
    public List<ValueCheck> Checks { get; } = [];

    public Tally Empty { get; } = new();
    public long NonNull { get; private set; }
    /// <summary>Values of a column declared string that read as numbers (they are counted, not used as numbers).</summary>
    public long NumericLike { get; set; }
    public long Numbers { get; private set; }
    public long Booleans { get; private set; }
    public Tally NonFinite { get; } = new();
    public Tally Texts { get; } = new();
    public Tally NonIntegral { get; } = new();
    /// <summary>Text values that are not a date or date-time <see cref="DateParts"/> reads: none in a timestamp column.</summary>
    public Tally NotDates { get; } = new();
    /// <summary>Text values that <see cref="DateParts"/> reads as a date or date-time.</summary>
    public long Dates => Texts.Count - NotDates.Count;
    /// <summary>Values that are not true/false, counted only for a column declared boolean (whose type check needs the examples).</summary>
    public Tally NonBoolean { get; } = new();

    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    public double Mean { get; private set; }
    double _m2;
    public double StdDev => Numbers > 1 ? Math.Sqrt(_m2 / (Numbers - 1)) : 0;
    public double NullRate => Empty.Count + NonNull == 0 ? 0 : (double)Empty.Count / (Empty.Count + NonNull);

    // A block sums (x - shift), shift being its first number: no division per value, and stable for data far from zero.
    double _shift = double.NaN, _sum, _sumSquares;

    /// <summary>
    /// The sample: candidates whose row key is below <see cref="_threshold"/>; when the buffer fills, a selection keeps the
    /// <c>sampleSize</c> smallest keys and the threshold drops to the largest kept (amortised O(1) a value, unlike a heap).
    /// </summary>
    (ulong Key, double X)[] _candidates = new (ulong, double)[16];
    int _candidateCount;
    ulong _threshold = ulong.MaxValue;
    Dictionary<string, long>? _categories = new(StringComparer.Ordinal);
    Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _categoryLookup;
    /// <summary>Values of up to three characters (codes, small integers, labels), counted under a packed key: no string hashing.</summary>
    PackedCounts? _shortCategories; // made on the first short value

    /// <summary>Value → count, or null when the column has more than <see cref="MaxCategories"/> distinct values.</summary>
    public IReadOnlyDictionary<string, long>? Categories
    {
        get
        {
            UnpackShortCategories();
            return _categories;
        }
    }

    /// <summary>Moves the packed short values into <see cref="_categories"/>, as strings: read and merged in one form.</summary>
    void UnpackShortCategories()
    {
        if (_categories is null || _shortCategories is not { Count: > 0 }) return;
        foreach (var (key, count) in _shortCategories.Entries()) _categories[Unpack(key)] = count;
        _shortCategories.Clear();
    }

    /// <summary>A value of up to three characters as one number (length in the top bits): a hash key with no string hashing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryPack(ReadOnlySpan<char> value, out ulong key)
    {
        key = 0;
        if (value.Length > 3) return false;
        key = (ulong)value.Length << 48;
        for (var i = 0; i < value.Length; i++) key |= (ulong)value[i] << (16 * i);
        return true;
    }

    static string Unpack(ulong key) => string.Create((int)(key >> 48), key, static (span, k) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = (char)(k >> (16 * i));
    });

    /// <summary>What the values are: integer or number when all parse as numbers, boolean when all are true/false, else string.</summary>
    public ColumnType InferredType =>
        NonNull == 0 ? Declared ?? ColumnType.String
        : Texts.Count == 0 ? (NonIntegral.Count == 0 && NonFinite.Count == 0 ? ColumnType.Integer : ColumnType.Number)
        : Booleans == NonNull ? ColumnType.Boolean
        : ColumnType.String;

    /// <summary>
    /// What the values are, whatever the column was declared: a column declared string whose every value is a number reads as
    /// a number here. The schema comparison uses it, so a text column that turns numeric between datasets is seen.
    /// </summary>
    public ColumnType ContentType => Declared == ColumnType.String && NonNull > 0 && NumericLike == NonNull ? ColumnType.Number : InferredType;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Observe(ReadOnlySpan<char> value, double? number, int line, ulong key)
    {
        if (value.IsEmpty)
        {
            Empty.Add(line);
            foreach (var check in CollectionsMarshal.AsSpan(Checks)) check.ObserveNull(line);
            return;
        }
        NonNull++;
        if (number is double x)
        {
            if (double.IsFinite(x)) ObserveNumber(x, value, line, key);
            else NonFinite.Add(value, line);
            if (Declared == ColumnType.Boolean) NonBoolean.Add(value, line);
        }
        else
        {
            Texts.Add(value, line);
            if (!DateParts.TryReadDate(value, out _)) NotDates.Add(value, line);
            if (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase)) Booleans++;
            else if (Declared == ColumnType.Boolean) NonBoolean.Add(value, line);
        }
        if (_categories is not null) CountCategory(value);
        foreach (var check in CollectionsMarshal.AsSpan(Checks)) check.Observe(value, number, line);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ObserveNumber(double x, ReadOnlySpan<char> value, int line, ulong key)
    {
        if (Numbers++ == 0) _shift = x;
        if (x < Min) Min = x;
        if (x > Max) Max = x;
        var d = x - _shift;
        _sum += d;
        _sumSquares += d * d;
        if (x != Math.Floor(x)) NonIntegral.Add(value, line);
        if (key < _threshold) Keep(x, key);
    }

    void Keep(double x, ulong key)
    {
        if (_candidateCount == _candidates.Length)
        {
            if (_candidates.Length < 2 * sampleSize) Array.Resize(ref _candidates, Math.Min(2 * sampleSize, _candidates.Length * 2));
            else Compact();
        }
        _candidates[_candidateCount++] = (key, x);
    }

    /// <summary>Keeps the <c>sampleSize</c> smallest keys (a quickselect) and lowers the threshold to the largest of them.</summary>
    void Compact()
    {
        if (_candidateCount <= sampleSize) return;
        var span = _candidates.AsSpan(0, _candidateCount);
        Select(span, sampleSize - 1);
        _candidateCount = sampleSize;
        var largest = 0UL;
        foreach (var (key, _) in span[..sampleSize]) largest = Math.Max(largest, key);
        _threshold = largest;
    }

    /// <summary>Rearranges <paramref name="items"/> so the first n+1 hold the n+1 smallest keys (Hoare's selection).</summary>
    static void Select(Span<(ulong Key, double X)> items, int n)
    {
        int left = 0, right = items.Length - 1;
        while (left < right)
        {
            var pivot = items[left + (right - left) / 2].Key;
            int i = left, j = right;
            while (i <= j)
            {
                while (items[i].Key < pivot) i++;
                while (items[j].Key > pivot) j--;
                if (i <= j) { (items[i], items[j]) = (items[j], items[i]); i++; j--; }
            }
            if (n <= j) right = j;
            else if (n >= i) left = i;
            else return;
        }
    }

    void CountCategory(ReadOnlySpan<char> value)
    {
        if (TryPack(value, out var packed))
        {
            var counts = _shortCategories ??= new PackedCounts();
            ref var shortCount = ref counts.GetOrAdd(packed, out var seen);
            if (!seen && counts.Count + _categories!.Count > MaxCategories) { Overflow(); return; }
            shortCount++;
            return;
        }
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_categoryLookup, value, out var exists);
        if (!exists && _categories!.Count + (_shortCategories?.Count ?? 0) > MaxCategories) { Overflow(); return; }
        count++;
    }

    void Overflow()
    {
        _categories = null;
        _shortCategories = null;
    }

    /// <summary>An empty state for one block: same settings and checks, and what the merged state already knows.</summary>
    public ColumnScan Fork()
    {
        var part = new ColumnScan(Name, Declared, IsTarget, sampleSize) { _threshold = _threshold };
        if (_categories is null) part.Overflow();
        else part._categoryLookup = part._categories!.GetAlternateLookup<ReadOnlySpan<char>>();
        part.Checks.AddRange(Checks.Select(c => c.Fork()));
        return part;
    }

    /// <summary>Adds a block's observations: Chan's parallel update for the moments, examples in file order.</summary>
    public void Merge(ColumnScan part)
    {
        NumericLike += part.NumericLike;
        Empty.Merge(part.Empty);
        NonNull += part.NonNull;
        Booleans += part.Booleans;
        NonFinite.Merge(part.NonFinite);
        Texts.Merge(part.Texts);
        NonIntegral.Merge(part.NonIntegral);
        NonBoolean.Merge(part.NonBoolean);
        NotDates.Merge(part.NotDates);
        if (part.Numbers > 0)
        {
            var m = part.Numbers;
            var partMean = part._shift + part._sum / m;
            var partM2 = Math.Max(0, part._sumSquares - part._sum * part._sum / m);
            var n = Numbers + m;
            var delta = partMean - Mean;
            Mean += delta * m / n;
            _m2 += partM2 + delta * delta * Numbers * m / n;
            Numbers = n;
            Min = Math.Min(Min, part.Min);
            Max = Math.Max(Max, part.Max);
        }
        foreach (var (key, x) in part._candidates.AsSpan(0, part._candidateCount))
            if (key < _threshold) Keep(x, key);
        Compact();
        if (_categories is not null)
        {
            if (part.Categories is not { } counts) Overflow();
            else
            {
                UnpackShortCategories(); // this side's too, so both sides count under the same keys
                foreach (var (value, count) in counts)
                    CollectionsMarshal.GetValueRefOrAddDefault(_categories, value, out _) += count;
                if (_categories.Count > MaxCategories) Overflow();
            }
        }
        for (var i = 0; i < Checks.Count; i++) Checks[i].Merge(part.Checks[i]);
    }

    /// <summary>The uniform sample of the numeric values (all of them when there are fewer than the sample size), in key order.</summary>
    public double[] Sample()
    {
        Compact();
        var kept = _candidates.AsSpan(0, _candidateCount).ToArray();
        Array.Sort(kept, static (a, b) => a.Key.CompareTo(b.Key));
        return kept.Select(c => c.X).ToArray();
    }

    /// <summary>The median of the sample: exact up to the sample size, an estimate with a known error beyond.</summary>
    public double? Median()
    {
        if (_candidateCount == 0) return null;
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

    public void Add(string example)
    {
        Count++;
        if (Examples.Count < DatasetScan.MaxExamples) Examples.Add(example);
    }

    public void Add(int line)
    {
        Count++;
        if (Examples.Count < DatasetScan.MaxExamples) Examples.Add($"line {line}");
    }

    public void Merge(Tally part)
    {
        Count += part.Count;
        foreach (var e in part.Examples)
            if (Examples.Count < DatasetScan.MaxExamples) Examples.Add(e);
    }
}

/// <summary>
/// Counts by packed key (<see cref="ColumnScan.TryPack"/>; never 0, the length is in the key): open addressing in a table
/// sized for <see cref="ColumnScan.MaxCategories"/> keys, a multiply-shift hash, no resizing and no key objects.
/// </summary>
sealed class PackedCounts
{
    const int Bits = 11; // 2,048 slots for at most 1,001 keys: probes stay short
    readonly ulong[] _keys = new ulong[1 << Bits];
    readonly long[] _counts = new long[1 << Bits];

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref long GetOrAdd(ulong key, out bool existed)
    {
        var mask = (1 << Bits) - 1;
        var slot = (int)((key * 0x9E3779B97F4A7C15UL) >> (64 - Bits));
        while (true)
        {
            var k = _keys[slot];
            if (k == key) { existed = true; return ref _counts[slot]; }
            if (k == 0)
            {
                _keys[slot] = key;
                Count++;
                existed = false;
                return ref _counts[slot];
            }
            slot = (slot + 1) & mask;
        }
    }

    public IEnumerable<(ulong Key, long Count)> Entries()
    {
        for (var i = 0; i < _keys.Length; i++)
            if (_keys[i] != 0) yield return (_keys[i], _counts[i]);
    }

    public void Clear()
    {
        Array.Clear(_keys);
        Array.Clear(_counts);
        Count = 0;
    }
}
