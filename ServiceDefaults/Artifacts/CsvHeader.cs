using nietras.SeparatedValues;

namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>
/// The header row of a dataset CSV, read one way by every stage that looks at it (ingest's first look at an upload, validate's
/// scan): a plain row, unescaped and trimmed (Sep's own header reading refuses duplicate names, which must be reported, not thrown).
/// </summary>
public static class CsvHeader
{
    /// <summary>The names in the first row of <paramref name="text"/>; empty when there is no row.</summary>
    public static string[] Read(TextReader text)
    {
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true, Trim = SepTrim.All }).From(text);
        if (!reader.MoveNext()) return [];
        var names = new string[reader.Current.ColCount];
        for (var i = 0; i < names.Length; i++) names[i] = reader.Current[i].ToString();
        return names;
    }

    /// <summary>A header whose every name is a number is a data row: the file has no header.</summary>
    public static bool LooksLikeData(IReadOnlyList<string> names) =>
        names.Count > 0 && names.All(c => double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out _));
}
