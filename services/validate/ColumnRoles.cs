using System.Globalization;
using System.Text.RegularExpressions;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// What a column the spec does not name is to the model, read from the one pass over its values (issue 15; the rules and
/// thresholds are <see cref="InferenceSpec"/>'s): number, boolean, categorical, hashed, or left out as an identifier, a
/// constant or (until date parts are derived) a timestamp. Each decision carries its reason and a few values, for the
/// validation report and for train, which encodes the features accordingly.
/// </summary>
public static partial class ColumnRoles
{
    /// <summary>Whether the column's role is inferred: inference on, and the spec names it nowhere (types, features, derived inputs).</summary>
    public static bool Infers(PipelineSpec spec, string column) => spec.Inference.Columns && !spec.Names(column);

    /// <summary>Letters then digits (ORD-100000, C_0042, u1234567), or a GUID: a key, not a quantity or a category.</summary>
    [GeneratedRegex(@"^([A-Za-z]{1,12}[-_#:]?\d{3,}|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$")]
    private static partial Regex IdLike();

    static readonly HashSet<string> BooleanWords = new(StringComparer.OrdinalIgnoreCase) { "true", "false", "yes", "no" };

    /// <summary>The role of every inferred column of the scan (features only; the target is the task's business).</summary>
    public static IReadOnlyList<InferredColumn> Infer(DatasetScan scan, PipelineSpec spec) =>
        [.. scan.Features.Where(f => ColumnRoles.Infers(spec, f) && scan.ByColumn.TryGetValue(f, out _)).Select(f => Of(scan.ByColumn[f], spec.Inference))];

    public static InferredColumn Of(ColumnScan c, InferenceSpec inference)
    {
        var categories = c.Categories;
        var examples = categories?.OrderByDescending(kv => kv.Value).Take(5).Select(kv => kv.Key).ToList() ?? c.Texts.Examples.Select(Value).Take(5).ToList();
        InferredColumn Role(string role, string why) => new(c.Name, role, why, examples, c.Empty.Count);
        var numeric = c.Numbers + c.NonFinite.Count;
        var gaps = c.Empty.Count > 0 ? $"; {c.Empty.Count:N0} empty cells are imputed (the median of the training rows)" : "";
        if (c.NonNull == 0) return Role("constant", "every cell is empty");
        if (categories is { Count: 1 }) return Role("constant", $"one value ('{categories.Keys.First()}') in every non-empty cell: nothing to learn from");
        if (numeric >= inference.NumericShare * c.NonNull)
            return Role("number", numeric == c.NonNull
                ? $"every non-empty cell is a number ({c.Min.ToString("G6", CultureInfo.InvariantCulture)} to {c.Max.ToString("G6", CultureInfo.InvariantCulture)}){gaps}"
                : $"{numeric:N0} of {c.NonNull:N0} non-empty cells are numbers, so the other {c.NonNull - numeric:N0} are errors{gaps}");
        if (categories is not null && categories.Keys.All(BooleanWords.Contains) && categories.Count == 2)
            return Role("boolean", $"only {string.Join(" and ", categories.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"))}: encoded as two indicators");
        var values = categories?.Keys.ToList() ?? [.. c.Texts.Examples.Select(Value)];
        if (c.Texts.Count == c.NonNull && c.NotDates.Count == 0)
            return Role("timestamp", $"every non-empty cell is a date or time ('{values[0]}'): the model reads its {string.Join(", ", DateParts.Names)}"
                + (c.Empty.Count > 0 ? $"; {c.Empty.Count:N0} empty cells read as -1 for each part" : ""));
        var distinct = categories?.Count;
        if (distinct is { } d && d >= inference.IdentifierShare * c.NonNull && c.NonNull >= 20)
            return Role("identifier", $"{d:N0} distinct values in {c.NonNull:N0} rows: a key, left out of the model, kept in the data");
        if (values.Count > 0 && values.All(v => IdLike().IsMatch(v)) && (distinct is null || distinct >= 0.5 * c.NonNull))
            return Role("identifier", $"values shaped like IDs ('{values[0]}'), {(distinct is null ? $"more than {ColumnScan.MaxCategories:N0}" : $"{distinct:N0}")} distinct: left out of the model, kept in the data");
        if (distinct is { } few && few <= inference.MaxCategories)
            return Role("categorical", $"text with {few} distinct values: one indicator each (an empty cell is a value of its own)");
        return Role("hashed", $"text with {(distinct is null ? $"more than {ColumnScan.MaxCategories:N0}" : $"{distinct:N0}")} distinct values (over {inference.MaxCategories}): hashed into 2^hashBits indicators");
    }

    /// <summary>A tally example is "line N: 'value'": the value.</summary>
    static string Value(string example) => example[(example.IndexOf('\'') + 1)..^1];
}
