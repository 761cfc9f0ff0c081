using System.Text;
using MlOps.Contracts;
using nietras.SeparatedValues;

namespace MlOps.Validate;

/// <summary>
/// Everything the suite, the schema and later stages need, gathered in one streaming pass over the CSV with Sep:
/// memory is bounded by the number of columns, the example lists, the tracked categories and the reference sample,
/// never by the rows (except for an <c>expect_column_values_to_be_unique</c> column, which keeps 8 bytes per distinct value).
/// </summary>
public sealed class DatasetScan
{
    public const int MaxExamples = 5;

    public string[] Columns { get; private set; } = [];
    public string Target { get; private set; } = "";
    public string[] Features { get; private set; } = [];
    public long Rows { get; private set; }
    public long Bytes { get; private set; }
    public long RaggedRows { get; private set; }
    public List<string> RaggedExamples { get; } = [];
    public long InvalidUtf8Sequences => _utf8.Invalid;
    public List<string> InvalidUtf8Examples { get; } = [];
    /// <summary>Columns by name; a duplicated name keeps its first column.</summary>
    public Dictionary<string, ColumnScan> ByColumn { get; } = new(StringComparer.Ordinal);
    /// <summary>The value-by-value expectations of the pipeline's suite, by their index in the suite.</summary>
    public Dictionary<int, ValueCheck> Checks { get; } = [];
    public bool TargetPresent => ByColumn.ContainsKey(Target);
    public ColumnScan? TargetColumn => ByColumn.GetValueOrDefault(Target);
    public string[] DuplicateColumns => Columns.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();

    /// <summary>A header whose every name is a number is a data row: the file has no header.</summary>
    public bool HeaderLooksLikeData => Columns.Length > 0 && Columns.All(c => double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out _));

    readonly CountingUtf8Fallback _utf8 = new();

    /// <param name="progress">Receives the number of rows read, every 100,000 rows.</param>
    public static DatasetScan Run(Stream csv, PipelineSpec spec, Action<long>? progress = null)
    {
        var scan = new DatasetScan();
        var counted = new CountingStream(csv);
        // Invalid UTF-8 becomes U+FFFD and is counted, so the report can say where instead of failing the read.
        // With a preamble the reader skips a UTF-8 byte order mark (and only that: other encodings are not accepted).
        var encoding = Encoding.GetEncoding("utf-8", EncoderFallback.ReplacementFallback, scan._utf8);
        using var text = new StreamReader(counted, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        // The header is read as a plain row: Sep refuses duplicate names, which must be reported, not thrown.
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true, Trim = SepTrim.All }).From(text);
        if (!reader.MoveNext()) return scan;
        var names = new string[reader.Current.ColCount];
        for (var i = 0; i < names.Length; i++) names[i] = reader.Current[i].ToString();
        scan.Columns = names;
        if (names.All(n => n.Length == 0)) { scan.Columns = []; return scan; }
        scan.Target = spec.Target ?? names[^1];
        scan.Features = names.Where(c => c != scan.Target && c.Length > 0).Distinct().ToArray();

        var random = new Random(spec.Trainer.Seed);
        var columns = new ColumnScan?[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            if (scan.ByColumn.ContainsKey(names[i])) continue;
            var isTarget = names[i] == scan.Target;
            ColumnType? declared = spec.Validation.ColumnTypes.TryGetValue(names[i], out var t) ? t : isTarget ? null : ColumnType.Number;
            columns[i] = scan.ByColumn[names[i]] = new ColumnScan(names[i], declared, isTarget, spec.Drift.ReferenceSampleSize, random);
        }
        var expectations = spec.Validation.Expectations;
        for (var i = 0; i < expectations.Count; i++)
        {
            if (expectations[i].Column is { } column && scan.ByColumn.TryGetValue(column, out var col) && ValueCheck.Create(expectations[i]) is { } check)
            {
                scan.Checks[i] = check;
                col.Checks.Add(check);
            }
        }

        var width = names.Length;
        foreach (var row in reader)
        {
            var rowNumber = ++scan.Rows;
            var line = row.LineNumberFrom;
            if (row.ColCount != width)
            {
                scan.RaggedRows++;
                if (scan.RaggedExamples.Count < MaxExamples)
                    scan.RaggedExamples.Add($"line {line}: {row.ColCount} fields, header has {width}");
            }
            if (scan._utf8.Invalid > 0 && scan.InvalidUtf8Examples.Count < MaxExamples && row.Span.Contains('\uFFFD'))
                scan.InvalidUtf8Examples.Add($"line {line}");
            var n = Math.Min(row.ColCount, width);
            for (var c = 0; c < n; c++)
            {
                var col = row[c];
                columns[c]?.Observe(col.Span, col.TryParse<double>(), line);
            }
            if (progress is not null && rowNumber % 100_000 == 0) progress(rowNumber);
        }
        scan.Bytes = counted.Position;
        return scan;
    }

    /// <summary>What monitor compares live inputs with: numeric features with their sample, categorical ones with their counts.</summary>
    public ReferenceProfile ToProfile(Guid runId) => new(runId, Rows, Target, TargetColumn?.Categories ?? new Dictionary<string, long>(),
        Features.Select(f => ByColumn[f]).Select(c => new FeatureProfile(c.Name, c.Numbers, c.Min, c.Max, c.Mean, c.StdDev, c.Sample(),
            c.InferredType == ColumnType.String ? c.Categories : null)).ToList());

    /// <summary>Counts decoding failures (each replaced by U+FFFD) instead of throwing on the first one.</summary>
    sealed class CountingUtf8Fallback : DecoderFallback
    {
        public long Invalid;
        public override int MaxCharCount => 1;
        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        sealed class Buffer(CountingUtf8Fallback owner) : DecoderFallbackBuffer
        {
            bool _pending;
            public override int Remaining => _pending ? 1 : 0;
            public override bool Fallback(byte[] bytesUnknown, int index) { owner.Invalid++; _pending = true; return true; }
            public override char GetNextChar() { if (!_pending) return '\0'; _pending = false; return '\uFFFD'; }
            public override bool MovePrevious() => false;
            public override void Reset() => _pending = false;
        }
    }

    /// <summary>Counts the bytes read, for the report and the progress line.</summary>
    sealed class CountingStream(Stream inner) : Stream
    {
        long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); _position += n; return n; }
        public override int Read(Span<byte> buffer) { var n = inner.Read(buffer); _position += n; return n; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
