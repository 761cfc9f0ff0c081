using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using nietras.SeparatedValues;

namespace MlOps.Ingest;

/// <summary>Why a delimited upload cannot be read as a table; the message names the delimiter and what to do.</summary>
public sealed class DialectRefusedException(string message) : Exception(message);

/// <summary>
/// How a delimited text upload is written: its delimiter (<c>,</c> <c>;</c> tab <c>|</c>), whether its numbers use a decimal
/// comma (with <c>.</c> grouping thousands, as European exports do), whether it starts with a UTF-8 byte-order mark.
/// Every stage reads one form, comma-separated with decimal points (<see cref="IsCanonical"/>); any other upload is
/// converted to it at the door (<see cref="ConvertAsync"/>) and kept beside it, as a Parquet upload is.
/// </summary>
public sealed partial record CsvDialect(char Delimiter, bool DecimalComma, bool Bom)
{
    static readonly char[] Candidates = [',', ';', '\t', '|'];

    public static readonly CsvDialect Canonical = new(',', false, false);

    public bool IsCanonical => Delimiter == ',' && !DecimalComma && !Bom;

    public string DelimiterName => Delimiter switch { ',' => "comma", ';' => "semicolon", '\t' => "tab", _ => "pipe" };

    /// <summary>What was detected, for the run's record and the report: "semicolon-delimited, decimal commas, UTF-8 BOM".</summary>
    public string Description => $"{DelimiterName}-delimited" + (DecimalComma ? ", decimal commas" : "") + (Bom ? ", UTF-8 byte-order mark" : "");

    /// <summary>The kept original's format name (<c>runs/{id}/dataset.{format}</c>).</summary>
    public string Format => Delimiter switch { ';' => "ssv", '\t' => "tsv", '|' => "psv", _ => "bom-csv" } + (DecimalComma ? "-decimal-comma" : "");

    [GeneratedRegex(@"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+([eE][+-]?\d+)?$")]
    private static partial Regex DecimalCommaNumber();

    [GeneratedRegex(@"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")]
    private static partial Regex DecimalPointNumber();

    [GeneratedRegex(@"^[+-]?\d{1,3}(\.\d{3})+$")]
    private static partial Regex GroupedWholeNumber();

    /// <summary>
    /// Reads the dialect from the file's first 64 KB (the complete lines in it). Each candidate delimiter splits every line
    /// (quotes respected); one that gives the header and at least 90% of the rows the same number of fields, two or more,
    /// is a fit; of several, the one that fits most rows, then the one with more columns, then comma. A header that splits
    /// on some delimiter but whose rows do not is refused (<see cref="DialectRefusedException"/>): such a file would be read
    /// as one column, or as rows of the wrong width, and accepted in a shape it does not have.
    /// </summary>
    public static CsvDialect Sniff(ReadOnlySpan<byte> head)
    {
        var bom = head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
        var text = Encoding.UTF8.GetString(bom ? head[3..] : head);
        var lines = Lines(text, complete: head.Length < 64 * 1024);
        if (lines.Count == 0) return Canonical with { Bom = bom };

        var fits = new List<(char Delimiter, double Share, int Columns)>();
        foreach (var d in Candidates)
        {
            var counts = lines.Select(l => Split(l, d).Count).ToList();
            var header = counts[0];
            if (header < 2) continue;
            var rows = counts.Skip(1).ToList();
            var share = rows.Count == 0 ? 1 : (double)rows.Count(c => c == header) / rows.Count;
            if (share >= 0.9) fits.Add((d, share, header));
        }
        if (fits.Count == 0)
        {
            var splits = Candidates.Where(d => Split(lines[0], d).Count >= 2).ToList();
            if (splits.Count > 0 && lines.Count > 1)
            {
                var d = splits[0];
                var name = new CsvDialect(d, false, false).DelimiterName;
                var widths = lines.Skip(1).Take(5).Select(l => Split(l, d).Count.ToString(CultureInfo.InvariantCulture));
                throw new DialectRefusedException(
                    $"The header splits into {Split(lines[0], d).Count} columns on {name}s ('{(d == '\t' ? "\\t" : d)}'), but the rows do not " +
                    $"(the first rows have {string.Join(", ", widths)} fields): the file is not consistently {name}-delimited. " +
                    "Check that fields holding the delimiter are quoted, or export the table again as comma-separated.");
            }
            return Canonical with { Bom = bom };
        }
        var best = fits.OrderByDescending(f => f.Share).ThenByDescending(f => f.Columns).ThenBy(f => Array.IndexOf(Candidates, f.Delimiter)).First();
        var decimalComma = false;
        if (best.Delimiter != ',')
        {
            var cells = lines.Skip(1).SelectMany(l => Split(l, best.Delimiter)).Select(c => c.Trim()).ToList();
            decimalComma = cells.Any(c => DecimalCommaNumber().IsMatch(c)) && !cells.Any(c => DecimalPointNumber().IsMatch(c));
        }
        return new CsvDialect(best.Delimiter, decimalComma, bom);
    }

    /// <summary>
    /// Writes the upload as canonical CSV: comma-separated, fields quoted where they hold a comma, a quote or a line break,
    /// decimal commas (and the dots grouping thousands) as decimal points, no BOM. Returns the rows written.
    /// </summary>
    public async Task<long> ConvertAsync(Stream input, Stream output, CancellationToken ct)
    {
        long rows = 0;
        using var source = new StreamReader(input, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16, leaveOpen: true);
        await using var text = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        using var reader = Sep.New(Delimiter).Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).From(source);
        foreach (var row in reader)
        {
            ct.ThrowIfCancellationRequested();
            for (var c = 0; c < row.ColCount; c++)
            {
                if (c > 0) text.Write(',');
                var cell = row[c].ToString();
                Write(text, DecimalComma && rows > 0 ? Number(cell) : cell);
            }
            text.Write('\n');
            rows++;
        }
        return Math.Max(0, rows - 1);
    }

    /// <summary>One field as CSV: quoted (quotes doubled) when it holds a comma, a quote or a line break.</summary>
    static void Write(TextWriter text, string cell)
    {
        if (cell.AsSpan().IndexOfAny(",\"\r\n") < 0) { text.Write(cell); return; }
        text.Write('"');
        text.Write(cell.Replace("\"", "\"\"", StringComparison.Ordinal));
        text.Write('"');
    }

    /// <summary>"1.234,5" → "1234.5"; "1.234" (thousands) → "1234"; anything else as it is.</summary>
    static string Number(string cell)
    {
        var t = cell.Trim();
        if (DecimalCommaNumber().IsMatch(t)) return t.Replace(".", "", StringComparison.Ordinal).Replace(',', '.');
        if (GroupedWholeNumber().IsMatch(t)) return t.Replace(".", "", StringComparison.Ordinal);
        return cell;
    }

    /// <summary>The lines of the sniffed text (a line break inside quotes does not end one); the last is dropped when it may be cut.</summary>
    static List<string> Lines(string text, bool complete)
    {
        var lines = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"') quoted = !quoted;
            else if (text[i] == '\n' && !quoted)
            {
                var line = text[start..i].TrimEnd('\r');
                if (line.Length > 0) lines.Add(line);
                start = i + 1;
            }
        }
        if (complete && start < text.Length && text[start..].TrimEnd('\r') is { Length: > 0 } last) lines.Add(last);
        return lines;
    }

    /// <summary>A line's fields on a delimiter, quotes respected (a doubled quote inside quotes is a quote).</summary>
    static List<string> Split(string line, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (ch == '"' && quoted && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (ch == '"') quoted = !quoted;
            else if (ch == delimiter && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(ch);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
