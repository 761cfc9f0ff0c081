using System.Globalization;
using MlOps.Contracts;
using nietras.SeparatedValues;

namespace MlOps.Scoring;

/// <summary>
/// A batch of rows as a model takes them (see <see cref="ModelCard"/>): numeric features row-major (NaN for an empty cell),
/// the text features row-major per encoding, and the timestamps row-major as their text (read by <see cref="DateParts"/> when
/// scored). Built the same way for training, the hold-out check, the gate and serving.
/// </summary>
public sealed record ModelInputs(int Rows, float[] Numeric, string[] Categorical, string[] Hashed, string[]? TimestampTexts = null)
{
    public string[] Timestamps => TimestampTexts ?? [];

    /// <summary>The text inputs of row <paramref name="row"/> in <see cref="ModelCard.TextInputs"/> order: categorical, hashed, timestamps.</summary>
    public string[] TextsOf(int row, ModelCard card) =>
    [
        .. Categorical.AsSpan(row * card.Categorical.Count, card.Categorical.Count), .. Hashed.AsSpan(row * card.HashedText.Count, card.HashedText.Count),
        .. Timestamps.AsSpan(row * card.Timestamps.Count, card.Timestamps.Count),
    ];

    public static ModelInputs NumericOnly(float[] numeric, int rows) => new(rows, numeric, [], []);
}

/// <summary>Rows read from a validated CSV: the model's inputs and the target's raw text.</summary>
public sealed record LabelledRows(ModelInputs Inputs, string[] Targets);

public static class CsvRows
{
    /// <summary>
    /// Reads the named columns of a CSV (header first) into model inputs. An empty numeric cell becomes NaN (an imputed
    /// column fills it inside the model); any other unparseable number is an error naming the line, as validation should
    /// have stopped it.
    /// </summary>
    public static LabelledRows Read(Stream csv, IReadOnlyList<string> numeric, IReadOnlyList<string> categorical, IReadOnlyList<string> hashed, string? target,
        IReadOnlyList<string>? timestamps = null)
    {
        timestamps ??= [];
        using var text = new StreamReader(csv, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true, Trim = SepTrim.All }).From(text);
        var header = reader.Header.ColNames.ToList();
        int Index(string name) => header.IndexOf(name) is var i and >= 0 ? i
            : throw new InvalidDataException($"The data has no column '{name}' (it has {string.Join(", ", header)}).");
        var numericAt = numeric.Select(Index).ToArray();
        var categoricalAt = categorical.Select(Index).ToArray();
        var hashedAt = hashed.Select(Index).ToArray();
        var timestampAt = timestamps.Select(Index).ToArray();
        var targetAt = target is null ? -1 : Index(target);

        var values = new List<float>();
        var categories = new List<string>();
        var hashes = new List<string>();
        var times = new List<string>();
        var targets = new List<string>();
        foreach (var row in reader)
        {
            foreach (var i in numericAt)
            {
                var cell = row[i].Span;
                if (cell.IsEmpty) values.Add(float.NaN);
                else if (float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)) values.Add(x);
                else throw new InvalidDataException($"Line {row.LineNumberFrom}, column '{header[i]}': '{cell}' is not a number.");
            }
            foreach (var i in categoricalAt) categories.Add(row[i].ToString());
            foreach (var i in hashedAt) hashes.Add(row[i].ToString());
            foreach (var i in timestampAt) times.Add(row[i].ToString());
            if (targetAt >= 0) targets.Add(row[targetAt].ToString());
        }
        var rows = targetAt >= 0 ? targets.Count : numeric.Count > 0 ? values.Count / numeric.Count : categorical.Count > 0 ? categories.Count / categorical.Count
            : hashed.Count > 0 ? hashes.Count / hashed.Count : times.Count / Math.Max(1, timestamps.Count);
        return new LabelledRows(new ModelInputs(rows, [.. values], [.. categories], [.. hashes], [.. times]), [.. targets]);
    }

    public static LabelledRows Read(Stream csv, ModelCard card, bool withTarget) =>
        Read(csv, card.Features, card.Categorical, card.HashedText, withTarget ? card.Target : null, card.Timestamps);
}
