using System.Globalization;
using MlOps.Contracts;
using nietras.SeparatedValues;

namespace MlOps.Validate;

/// <summary>
/// Everything the expectations and later stages need, gathered in one streaming pass over the CSV with Sep:
/// memory is bounded by the number of columns, the example lists and the reference sample, never by the rows.
/// </summary>
public sealed class DatasetScan
{
    public const int MaxExamples = 5;

    public string[] Columns { get; private set; } = [];
    public string Target { get; private set; } = "";
    public string[] Features { get; private set; } = [];
    public long Rows { get; private set; }
    public long RaggedRows { get; private set; }
    public List<string> RaggedExamples { get; } = [];
    public Dictionary<string, ColumnScan> ByColumn { get; } = [];
    public Dictionary<string, long> TargetCounts { get; } = new(StringComparer.Ordinal);
    public bool TargetPresent => Columns.Contains(Target, StringComparer.Ordinal);
    public string[] DuplicateColumns => Columns.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();

    /// <summary>Targets with more distinct values than this are not counted further (it is not a classification label).</summary>
    const int MaxClasses = 1000;

    public static DatasetScan Run(Stream csv, PipelineSpec spec)
    {
        var scan = new DatasetScan();
        using var text = new StreamReader(csv, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        // The header is read as a plain row: Sep refuses duplicate names, which must be reported, not thrown.
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).From(text);
        if (!reader.MoveNext()) return scan;
        var names = new string[reader.Current.ColCount];
        for (var i = 0; i < names.Length; i++) names[i] = reader.Current[i].ToString().Trim();
        scan.Columns = names;
        if (scan.Columns.Length == 0) return scan;
        scan.Target = spec.Target ?? scan.Columns[^1];
        scan.Features = scan.Columns.Where(c => c != scan.Target).Distinct().ToArray();
        var random = new Random(spec.Trainer.Seed);
        var columns = scan.Columns.Select((name, i) => (name, i, scan: scan.ByColumn.TryGetValue(name, out var s) ? s
            : scan.ByColumn[name] = new ColumnScan(name, numeric: name != scan.Target, spec.Drift.ReferenceSampleSize))).ToArray();
        var targetIndex = Array.IndexOf(scan.Columns, scan.Target);

        foreach (var row in reader)
        {
            scan.Rows++;
            var line = row.LineNumberFrom;
            if (row.ColCount != scan.Columns.Length)
            {
                scan.RaggedRows++;
                if (scan.RaggedExamples.Count < MaxExamples)
                    scan.RaggedExamples.Add($"line {line}: {row.ColCount} fields, header has {scan.Columns.Length}");
            }
            var n = Math.Min(row.ColCount, columns.Length);
            for (var c = 0; c < n; c++)
            {
                columns[c].scan.Observe(row[c].Span, line, random);
            }
            if (targetIndex >= 0 && targetIndex < row.ColCount)
            {
                var label = row[targetIndex].ToString().Trim();
                if (label.Length > 0 && (scan.TargetCounts.Count < MaxClasses || scan.TargetCounts.ContainsKey(label)))
                    scan.TargetCounts[label] = scan.TargetCounts.GetValueOrDefault(label) + 1;
            }
        }
        return scan;
    }

    public ReferenceProfile ToProfile(Guid runId) => new(runId, Rows, Target, TargetCounts,
        Features.Select(f => ByColumn[f]).Select(c => new FeatureProfile(c.Name, c.Count, c.Min, c.Max, c.Mean, c.StdDev, c.Sample())).ToList());
}

/// <summary>One column's observations: empties, unparseable or non-finite numbers (with examples), Welford moments and a reservoir sample.</summary>
public sealed class ColumnScan(string name, bool numeric, int sampleSize)
{
    public string Name { get; } = name;
    public bool Numeric { get; } = numeric;
    public long Empty { get; private set; }
    public long NotNumbers { get; private set; }
    public List<string> EmptyExamples { get; } = [];
    public List<string> NotNumberExamples { get; } = [];
    public long Count { get; private set; }
    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    public double Mean { get; private set; }
    double _m2;
    public double StdDev => Count > 1 ? Math.Sqrt(_m2 / (Count - 1)) : 0;
    readonly List<double> _reservoir = [];

    public void Observe(ReadOnlySpan<char> raw, int line, Random random)
    {
        var value = raw.Trim();
        if (value.IsEmpty)
        {
            Empty++;
            if (EmptyExamples.Count < DatasetScan.MaxExamples) EmptyExamples.Add($"line {line}");
            return;
        }
        if (!Numeric) return;
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
        {
            NotNumbers++;
            if (NotNumberExamples.Count < DatasetScan.MaxExamples) NotNumberExamples.Add($"line {line}: '{Clip(value)}'");
            return;
        }
        Count++;
        if (x < Min) Min = x;
        if (x > Max) Max = x;
        var delta = x - Mean;
        Mean += delta / Count;
        _m2 += delta * (x - Mean);
        if (_reservoir.Count < sampleSize) _reservoir.Add(x);
        else
        {
            var j = random.NextInt64(Count);
            if (j < sampleSize) _reservoir[(int)j] = x;
        }
    }

    public double[] Sample() => [.. _reservoir];

    static string Clip(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : s[..40].ToString() + "…";
}
