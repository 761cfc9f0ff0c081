using System.Globalization;
using nietras.SeparatedValues;
using Parquet;
using Parquet.Schema;

namespace MlOps.Ingest;

/// <summary>Why a Parquet upload cannot become the pipeline's table; the message says which column and what to do.</summary>
public sealed class ParquetRefusedException(int status, string title, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}

/// <summary>
/// Parquet uploads become the CSV every later stage reads, at the door: the file's flat columns, in schema order, as a header
/// and rows (numbers in their shortest round-trip form, booleans as true/false, dates and times in ISO 8601, a null as an
/// empty cell). The Parquet bytes themselves are kept beside the CSV (<c>runs/{id}/dataset.parquet</c>), so lineage still
/// ends at the exact bytes uploaded. Nested columns (lists, maps, structs) and raw binary columns are refused by name. One
/// row group is held in memory at a time, up to <c>Ingest:MaxParquetRowGroupCells</c>; the CSV may be no larger than the upload limit.
/// </summary>
public static class ParquetToCsv
{
    static readonly byte[] Magic = "PAR1"u8.ToArray();

    /// <summary>Whether the file starts and ends with Parquet's magic bytes.</summary>
    public static async Task<bool> IsParquetAsync(Stream file, CancellationToken ct)
    {
        if (file.Length < 12) return false;
        var head = new byte[4];
        var tail = new byte[4];
        file.Position = 0;
        await file.ReadExactlyAsync(head, ct);
        file.Position = file.Length - 4;
        await file.ReadExactlyAsync(tail, ct);
        file.Position = 0;
        return head.AsSpan().SequenceEqual(Magic) && tail.AsSpan().SequenceEqual(Magic);
    }

    /// <summary>
    /// Writes the table as CSV to <paramref name="csv"/> (which counts and hashes it, and throws <see cref="LimitExceededException"/>
    /// at its limit); returns the rows written.
    /// </summary>
    public static async Task<long> ConvertAsync(Stream parquet, HashingStream csv, long maxGroupCells, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(parquet, leaveStreamOpen: true, cancellationToken: ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ParquetRefusedException(422, "Unreadable Parquet file", $"The upload starts and ends like Parquet but could not be read: {e.Message}");
        }
        await using var _ = reader;
        var nested = reader.Schema.Fields.Where(f => f is not DataField { IsArray: false }).Select(f => $"'{f.Name}' ({f.SchemaType.ToString().ToLowerInvariant()})").ToList();
        if (nested.Count > 0)
            throw new ParquetRefusedException(422, "Nested Parquet columns",
                $"MlOps reads flat tables; these columns are nested: {string.Join(", ", nested)}. Flatten them (one column per value) before uploading.");
        var fields = reader.Schema.DataFields;
        var binary = fields.Where(f => Format(f) is null).Select(f => $"'{f.Name}' ({f.ClrType.Name})").ToList();
        if (binary.Count > 0)
            throw new ParquetRefusedException(422, "Unsupported Parquet columns",
                $"These columns are neither numbers, text, booleans nor dates: {string.Join(", ", binary)}. Convert or drop them before uploading.");
        if (fields.Length == 0) throw new ParquetRefusedException(422, "No columns", "The Parquet file has no columns.");

        long rows = 0;
        await using (var text = new StreamWriter(csv, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true))
        {
            using var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text);
            writer.Header.Add([.. fields.Select(f => f.Name)]);
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var (count, columns) = await ReadGroupAsync(reader, g, fields, maxGroupCells, ct);
                for (var r = 0; r < count; r++)
                {
                    await using var row = writer.NewRow(ct);
                    for (var c = 0; c < fields.Length; c++) row[c].Set(columns[c](r));
                }
                rows += count;
            }
            if (rows == 0) writer.Header.Write(); // a table with no rows is still a header
        }
        return rows;
    }

    /// <summary>One row group's columns, each as a function from row to cell text.</summary>
    static async Task<(int Rows, Func<int, string>[] Columns)> ReadGroupAsync(ParquetReader reader, int index, DataField[] fields, long maxCells, CancellationToken ct)
    {
        var declared = reader.RowGroups[index].RowCount;
        if (declared * fields.Length > maxCells)
            throw new ParquetRefusedException(422, "Parquet row group too large",
                $"Row group {index + 1} holds {declared:N0} rows × {fields.Length} columns; MlOps converts one row group at a time and takes at most " +
                $"{maxCells:N0} cells per group (Ingest:MaxParquetRowGroupCells). Write the file with smaller row groups (pyarrow: row_group_size).");
        try
        {
            using var group = reader.OpenRowGroupReader(index);
            var count = checked((int)group.RowCount);
            var columns = new Func<int, string>[fields.Length];
            for (var c = 0; c < fields.Length; c++) columns[c] = await Format(fields[c])!(group, count, ct);
            return (count, columns);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ParquetRefusedException(422, "Unreadable Parquet file", $"Row group {index + 1} of the Parquet file could not be read: {e.Message}");
        }
    }

    delegate Task<Func<int, string>> ColumnReader(ParquetRowGroupReader group, int rows, CancellationToken ct);

    /// <summary>How a column is read and written as text, or null when MlOps cannot use its type.</summary>
    static ColumnReader? Format(DataField field) => field.ClrType == typeof(ReadOnlyMemory<char>) ? Text(field) : Type.GetTypeCode(field.ClrType) switch
    {
        TypeCode.String => Text(field),
        TypeCode.Boolean => Values<bool>(field, v => v ? "true" : "false"),
        TypeCode.SByte => Values<sbyte>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.Byte => Values<byte>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.Int16 => Values<short>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.UInt16 => Values<ushort>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.Int32 => Values<int>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.UInt32 => Values<uint>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.Int64 => Values<long>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.UInt64 => Values<ulong>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.Single => Values<float>(field, v => v.ToString("R", CultureInfo.InvariantCulture)),
        TypeCode.Double => Values<double>(field, v => v.ToString("R", CultureInfo.InvariantCulture)),
        TypeCode.Decimal => Values<decimal>(field, v => v.ToString(CultureInfo.InvariantCulture)),
        TypeCode.DateTime => Values<DateTime>(field, v => v.ToString("O", CultureInfo.InvariantCulture)),
        _ when field.ClrType == typeof(DateOnly) => Values<DateOnly>(field, v => v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        _ when field.ClrType == typeof(TimeOnly) => Values<TimeOnly>(field, v => v.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        _ when field.ClrType == typeof(TimeSpan) => Values<TimeSpan>(field, v => v.ToString("c", CultureInfo.InvariantCulture)),
        _ when field.ClrType == typeof(DateTimeOffset) => Values<DateTimeOffset>(field, v => v.ToString("O", CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>A UTF-8 text column (Parquet.Net reports it as string or as ReadOnlyMemory&lt;char&gt;).</summary>
    static ColumnReader Text(DataField field) => async (group, rows, ct) =>
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory(), null, ct);
        return r => values[r] ?? "";
    };

    /// <summary>A column of values: an optional one may hold nulls (empty cells); a required one is read as plain values.</summary>
    static ColumnReader Values<T>(DataField field, Func<T, string> text) where T : struct => field.IsNullable
        ? async (group, rows, ct) =>
        {
            var values = new T?[rows];
            await group.ReadAsync(field, values.AsMemory(), null, ct);
            return r => values[r] is { } v ? text(v) : "";
        }
        : async (group, rows, ct) =>
        {
            var values = new T[rows];
            await group.ReadAsync(field, values.AsMemory(), null, ct);
            return r => text(values[r]);
        };
}
