using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Validate;

/// <summary>
/// Everything the suite, the schema and later stages need, gathered in one streaming pass with Sep. The file is cut into
/// blocks at line breaks outside quotes; blocks are scanned in parallel and merged in file order, so the result (counts,
/// moments, examples, the sample) is the same on any number of cores. Memory is bounded by the blocks in flight, the columns,
/// the examples, the tracked categories and the sample, never by the rows (except for an <c>expect_column_values_to_be_unique</c>
/// column, which keeps 8 bytes per distinct value).
/// </summary>
public sealed class DatasetScan
{
    public const int MaxExamples = 5;
    const int BlockBytes = 1 << 20;
    /// <summary>A block that grows this large without a line break outside quotes has a quote that never closes (Sep's own row limit is 16 MB).</summary>
    const int MaxBlockBytes = 8 << 20;

    public string[] Columns { get; private set; } = [];
    public string Target { get; private set; } = "";
    public string[] Features { get; private set; } = [];
    public long Rows { get; private set; }
    public long Bytes { get; private set; }
    public Tally Ragged { get; } = new();
    public Tally InvalidUtf8 { get; } = new();
    public Tally UnclosedQuotes { get; } = new();
    /// <summary>Columns by name; a duplicated name keeps its first column.</summary>
    public Dictionary<string, ColumnScan> ByColumn { get; } = new(StringComparer.Ordinal);
    /// <summary>The value-by-value expectations of the pipeline's suite, by their index in the suite.</summary>
    public Dictionary<int, ValueCheck> Checks { get; } = [];
    public bool TargetPresent => ByColumn.ContainsKey(Target);
    public ColumnScan? TargetColumn => ByColumn.GetValueOrDefault(Target);
    public string[] DuplicateColumns => Columns.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();

    /// <summary>A header whose every name is a number is a data row: the file has no header.</summary>
    public bool HeaderLooksLikeData => CsvHeader.LooksLikeData(Columns);

    ColumnScan?[] _columns = [];
    long _memoryBudget;
    ulong _seed;

    public static DatasetScan Run(Stream csv, PipelineSpec spec, Action<long>? progress = null) =>
        RunAsync(csv, spec, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Each column's reference sample, as many values as the spec asks for, fewer when that many for every column would pass the budget.</summary>
    public int SampleSize { get; private set; }

    /// <param name="progress">Receives the number of rows read so far, about every 100,000 rows.</param>
    /// <param name="memoryBudget">What the columns' samples may take together, in bytes (<c>Validate:MemoryBudgetMiB</c>).</param>
    public static async Task<DatasetScan> RunAsync(Stream csv, PipelineSpec spec, Action<long>? progress, CancellationToken ct, long memoryBudget = 512L << 20)
    {
        var scan = new DatasetScan { _memoryBudget = memoryBudget };
        var blocks = new BlockReader(csv);
        var first = await blocks.NextAsync(ct);
        if (first is null) return scan;
        var headerEnd = first.FirstRowEnd();
        scan.ReadHeader(first.Bytes.AsSpan(0, headerEnd), spec);
        if (scan.Columns.Length == 0) { first.Dispose(); return scan; }

        var workers = Math.Max(1, Environment.ProcessorCount);
        var pending = new Queue<Task<BlockScan>>();
        var nextProgress = 100_000L;
        var block = first.Skip(headerEnd) ?? await blocks.NextAsync(ct);
        while (block is not null)
        {
            var b = block;
            var plan = scan.Snapshot();
            pending.Enqueue(Task.Run(() => scan.ScanBlock(b, plan), ct));
            while (pending.Count > workers) Merge(await pending.Dequeue());
            block = await blocks.NextAsync(ct);
        }
        while (pending.Count > 0) Merge(await pending.Dequeue());
        scan.Bytes = blocks.Bytes;
        return scan;

        void Merge(BlockScan part)
        {
            scan.MergeBlock(part);
            if (progress is not null && scan.Rows >= nextProgress)
            {
                progress(scan.Rows);
                nextProgress = (scan.Rows / 100_000 + 1) * 100_000;
            }
        }
    }

    void ReadHeader(ReadOnlySpan<byte> bytes, PipelineSpec spec)
    {
        var text = Decode(bytes, out var invalid);
        if (invalid > 0) InvalidUtf8.Add(1);
        var names = CsvHeader.Read(new StringReader(text));
        if (names.Length == 0 || names.All(n => n.Length == 0)) return;
        Columns = names;
        _seed = (ulong)spec.Trainer.Seed;
        Target = spec.Target ?? names[^1];
        Features = names.Where(c => c != Target && c.Length > 0).Distinct().ToArray();

        _columns = new ColumnScan?[names.Length];
        // Every column's sample lives in the merged scan and in each block in flight (one per core, and one being merged).
        var copies = (long)names.Length * (Environment.ProcessorCount + 2);
        SampleSize = (int)Math.Clamp(_memoryBudget / (copies * sizeof(double)), 100, spec.Drift.ReferenceSampleSize);
        for (var i = 0; i < names.Length; i++)
        {
            if (ByColumn.ContainsKey(names[i])) continue;
            var isTarget = names[i] == Target;
            ColumnType? declared = spec.Validation.ColumnTypes.TryGetValue(names[i], out var t) ? t
                : isTarget ? (spec.Task == ModelTask.Regression ? ColumnType.Number : null)
                : spec.Features.Categorical.Contains(names[i]) || spec.Features.Hashed.Contains(names[i]) || spec.Features.Exclude.Contains(names[i]) ? ColumnType.String
                : spec.Features.Timestamps.Contains(names[i]) ? null // dates as text, or seconds since 1970 as numbers: its own check
                : ColumnRoles.Infers(spec, names[i]) ? null // its role is read from its values (ColumnRoles)
                : ColumnType.Number;
            _columns[i] = ByColumn[names[i]] = new ColumnScan(names[i], declared, isTarget, SampleSize);
        }
        var expectations = spec.Validation.Expectations;
        for (var i = 0; i < expectations.Count; i++)
        {
            if (expectations[i].Column is { } column && ByColumn.TryGetValue(column, out var col) && ValueCheck.Create(expectations[i]) is { } check)
            {
                Checks[i] = check;
                col.Checks.Add(check);
            }
        }
    }

    /// <summary>Fresh per-block column states that know what the merged scan knows so far (categories overflowed, sample threshold).</summary>
    ColumnScan?[] Snapshot() => _columns.Select(c => c?.Fork()).ToArray();

    sealed record BlockScan(long Rows, ColumnScan?[] Columns, Tally Ragged, Tally InvalidUtf8, Tally UnclosedQuotes);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    BlockScan ScanBlock(Block block, ColumnScan?[] columns)
    {
        using var _ = block;
        var ragged = new Tally();
        var invalidUtf8 = new Tally();
        var unclosed = new Tally();
        // Rows after a quote that never closes cannot be told apart; the block is reported, not parsed.
        if (block.Unclosed)
        {
            unclosed.Add(block.FirstLine);
            return new BlockScan(0, columns, ragged, invalidUtf8, unclosed);
        }
        var fallback = new CountingFallback();
        using var text = new StreamReader(new MemoryStream(block.Bytes, 0, block.Length, writable: false),
            Encoding.GetEncoding("utf-8", EncoderFallback.ReplacementFallback, fallback), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        // Trimming is done here, and only for the rare value with surrounding spaces (Sep's trim costs every cell).
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).From(text);
        var width = columns.Length;
        long rows = 0;
        foreach (var row in reader)
        {
            var local = rows++;
            var line = block.FirstLine + row.LineNumberFrom - 1;
            if (row.ColCount != width) ragged.Add($"line {line}: {row.ColCount} fields, header has {width}");
            if (fallback.Invalid > 0 && row.Span.Contains('\uFFFD')) invalidUtf8.Add(line);
            var key = SampleKey(_seed, block.Index, local);
            var n = Math.Min(row.ColCount, width);
            for (var c = 0; c < n; c++)
            {
                if (columns[c] is not { } column) continue;
                var value = row[c].Span;
                if (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))) value = value.Trim();
                // A column declared string keeps its values as labels even when they look like numbers; that they do is only counted
                // (ColumnScan.ContentType: what the schema comparison sees).
                double? number = DecimalParser.TryParse(value, out var x) ? x : null;
                if (column.Declared == ColumnType.String)
                {
                    if (number is not null) column.NumericLike++;
                    number = null;
                }
                column.Observe(value, number, line, key);
            }
        }
        return new BlockScan(rows, columns, ragged, invalidUtf8, unclosed);
    }

    void MergeBlock(BlockScan part)
    {
        Rows += part.Rows;
        Ragged.Merge(part.Ragged);
        InvalidUtf8.Merge(part.InvalidUtf8);
        UnclosedQuotes.Merge(part.UnclosedQuotes);
        for (var c = 0; c < _columns.Length; c++) _columns[c]?.Merge(part.Columns[c]!);
    }

    /// <summary>
    /// Each row's sampling key: a SplitMix64 hash of (seed, block, row in block). Each column keeps the values with the smallest keys
    /// (bottom-k sampling), a uniform sample that merges exactly whatever the order blocks finish in.
    /// </summary>
    static ulong SampleKey(ulong seed, int block, long row)
    {
        var z = (seed * 0xD1B54A32D192ED03UL ^ (ulong)block << 40 ^ (ulong)row) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>UTF-8 to text; each invalid sequence becomes U+FFFD and is counted, so the report can say where.</summary>
    static string Decode(ReadOnlySpan<byte> bytes, out long invalid)
    {
        var fallback = new CountingFallback();
        var text = Encoding.GetEncoding("utf-8", EncoderFallback.ReplacementFallback, fallback).GetString(bytes);
        invalid = fallback.Invalid;
        return text;
    }

    /// <summary>
    /// The training profile drift compares live inputs with: the model's features only (<paramref name="features"/>, default
    /// all), numeric ones with their sample, text ones with their value counts. Timestamps (<paramref name="timestamps"/>) carry
    /// neither: time moves on by itself, so its values are always "new" and would read as drift on every check.
    /// </summary>
    public ReferenceProfile ToProfile(Guid runId, IReadOnlyList<string>? features = null, IReadOnlySet<string>? timestamps = null) =>
        new(runId, Rows, Target, TargetColumn?.Categories ?? new Dictionary<string, long>(),
        (features ?? Features).Select(f => ByColumn[f]).Select(c => timestamps?.Contains(c.Name) == true
            ? new FeatureProfile(c.Name, c.Numbers, 0, 0, 0, 0, [])
            : new FeatureProfile(c.Name, c.Numbers, c.Numbers > 0 ? c.Min : 0, c.Numbers > 0 ? c.Max : 0, c.Mean, c.StdDev, c.Sample(),
                c.InferredType == ColumnType.String ? c.Categories : null)).ToList());

    sealed class CountingFallback : DecoderFallback
    {
        public long Invalid;
        public override int MaxCharCount => 1;
        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        sealed class Buffer(CountingFallback owner) : DecoderFallbackBuffer
        {
            bool _pending;
            public override int Remaining => _pending ? 1 : 0;
            public override bool Fallback(byte[] bytesUnknown, int index) { owner.Invalid++; _pending = true; return true; }
            public override char GetNextChar() { if (!_pending) return '\0'; _pending = false; return '\uFFFD'; }
            public override bool MovePrevious() => false;
            public override void Reset() => _pending = false;
        }
    }

    /// <summary>A run of whole rows (it ends at a line break outside quotes), in a pooled buffer.</summary>
    sealed class Block(int index, byte[] bytes, int start, int length, int firstLine, bool unclosed) : IDisposable
    {
        public int Index { get; } = index;
        public byte[] Bytes { get; } = bytes;
        public int Length => length;
        public int FirstLine { get; } = firstLine;
        public bool Unclosed { get; } = unclosed;
        int Start { get; } = start;
        bool _disposed;

        /// <summary>The end of the first row (after its line break), or the whole block when it has one row.</summary>
        public int FirstRowEnd() => BlockReader.LastRowEnd(Bytes.AsSpan(Start, length), firstOnly: true) is var end and > 0 ? end : length;

        /// <summary>The rows after the header, moved to the front of a new block (null when there are none).</summary>
        public Block? Skip(int count)
        {
            var rest = length - count;
            if (rest <= 0) { Dispose(); return null; }
            var copy = ArrayPool<byte>.Shared.Rent(rest);
            Bytes.AsSpan(Start + count, rest).CopyTo(copy);
            var line = FirstLine + Bytes.AsSpan(Start, count).Count((byte)'\n');
            Dispose();
            return new Block(Index, copy, 0, rest, line, Unclosed);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            ArrayPool<byte>.Shared.Return(Bytes);
        }
    }

    /// <summary>Reads the stream in blocks of about a megabyte, each cut after the last line break outside quotes.</summary>
    sealed class BlockReader(Stream stream)
    {
        byte[] _carry = [];
        int _carryLength;
        int _index;
        int _line = 1;
        bool _eof;
        bool _first = true;
        bool _bareCarriageReturns;
        public long Bytes { get; private set; }

        public async Task<Block?> NextAsync(CancellationToken ct)
        {
            if (_eof && _carryLength == 0) return null;
            var size = BlockBytes;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, _carryLength + BlockBytes));
                _carry.AsSpan(0, _carryLength).CopyTo(buffer);
                var length = _carryLength;
                ReturnCarry();
                while (!_eof && length < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(length), ct);
                    if (n == 0) _eof = true;
                    length += n;
                    Bytes += n;
                }
                var start = 0;
                if (_first)
                {
                    _first = false;
                    if (length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) start = 3; // UTF-8 byte order mark
                    // Lines that end in a bare CR (classic Mac OS): read as if they ended in LF, byte for byte, so rows, blocks
                    // and line numbers come out right. Only when the start of the file has CRs and no LF at all.
                    var head = buffer.AsSpan(start, length - start);
                    _bareCarriageReturns = head.IndexOf((byte)'\n') < 0 && head.IndexOf((byte)'\r') >= 0;
                }
                if (_bareCarriageReturns) buffer.AsSpan(0, length).Replace((byte)'\r', (byte)'\n');
                var end = _eof ? length : start + LastRowEnd(buffer.AsSpan(start, length - start), firstOnly: false);
                var unclosed = false;
                if (end == start && !_eof)
                {
                    if (length < MaxBlockBytes)
                    {
                        Carry(buffer, start, length);
                        ArrayPool<byte>.Shared.Return(buffer);
                        size = length * 2;
                        continue;
                    }
                    // No row boundary in 8 MB: a quote never closes. Cut at the last line break and report it rather than grow forever.
                    end = start + buffer.AsSpan(start, length - start).LastIndexOf((byte)'\n') + 1;
                    if (end == start) end = length;
                    unclosed = true;
                }
                Carry(buffer, end, length);
                if (start > 0) { Buffer.BlockCopy(buffer, start, buffer, 0, end - start); end -= start; }
                var block = new Block(_index++, buffer, 0, end, _line, unclosed);
                _line += buffer.AsSpan(0, end).Count((byte)'\n');
                if (end == 0) { block.Dispose(); return _eof && _carryLength == 0 ? null : await NextAsync(ct); }
                return block;
            }
        }

        void Carry(byte[] buffer, int from, int length)
        {
            _carryLength = length - from;
            _carry = ArrayPool<byte>.Shared.Rent(Math.Max(1, _carryLength));
            buffer.AsSpan(from, _carryLength).CopyTo(_carry);
        }

        void ReturnCarry()
        {
            if (_carry.Length > 0) ArrayPool<byte>.Shared.Return(_carry);
            _carry = [];
            _carryLength = 0;
        }

        /// <summary>The position after the last (or first) line break that is outside quotes; 0 when there is none.</summary>
        public static int LastRowEnd(ReadOnlySpan<byte> bytes, bool firstOnly)
        {
            var inQuotes = false;
            var last = 0;
            var i = 0;
            while (true)
            {
                var next = bytes[i..].IndexOfAny((byte)'"', (byte)'\n');
                if (next < 0) return last;
                i += next;
                if (bytes[i] == '"') inQuotes = !inQuotes;
                else if (!inQuotes)
                {
                    last = i + 1;
                    if (firstOnly) return last;
                }
                i++;
            }
        }
    }
}
