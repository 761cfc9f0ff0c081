using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// TFDV's schema of an accepted dataset: each column's type, null rate, range and (when few) the categories seen.
/// Stored under the run (<c>runs/{runId}/schema.json</c>) and as the pipeline's current schema, which the next dataset is compared with.
/// </summary>
public record DatasetSchema(Guid RunId, string Target, IReadOnlyList<ColumnSchema> Columns)
{
    public static DatasetSchema From(Guid runId, DatasetScan scan) => new(runId, scan.Target,
        scan.ByColumn.Values.Select(c => new ColumnSchema(c.Name, c.InferredType, Math.Round(c.NullRate, 6),
            c.Numbers > 0 ? c.Min : null, c.Numbers > 0 ? c.Max : null,
            c.Categories is { } cats && (c.IsTarget || c.InferredType is ColumnType.String or ColumnType.Boolean) ? cats.Keys.Order(StringComparer.Ordinal).ToList() : null,
            c.ContentType))
        .ToList());

    public ColumnSchema? this[string name] => Columns.FirstOrDefault(c => c.Name == name);
}

/// <param name="Content">What the values are whatever the declaration (<see cref="ColumnScan.ContentType"/>); null in schemas written before it existed.</param>
public record ColumnSchema(string Name, ColumnType Type, double NullRate, double? Min, double? Max, IReadOnlyList<string>? Categories, ColumnType? Content = null);

/// <summary>The anomalies of a dataset against the last accepted schema, each an expectation whose severity the pipeline's <see cref="SchemaPolicy"/> sets.</summary>
public static class SchemaComparison
{
    public static IEnumerable<Expectation> Anomalies(DatasetSchema previous, SchemaPolicy policy)
    {
        var baseline = new Dictionary<string, object?> { ["baselineRunId"] = previous.RunId.ToString("N") };

        yield return new("schema_missing_column", null, policy.MissingColumn, baseline, scan =>
        {
            var missing = previous.Columns.Select(c => c.Name).Where(n => !scan.ByColumn.ContainsKey(n)).ToList();
            return Outcome.Of(missing.Count == 0, missing.Count,
                $"Columns of the last accepted dataset are missing: {string.Join(", ", missing)}.", missing);
        });

        yield return new("schema_new_column", null, policy.NewColumn, baseline, scan =>
        {
            var added = scan.ByColumn.Keys.Where(n => previous[n] is null).ToList();
            return Outcome.Of(added.Count == 0, added.Count, $"Columns not in the last accepted dataset: {string.Join(", ", added)}.", added);
        });

        yield return new("schema_type_changed", null, policy.TypeChanged, baseline, scan =>
        {
            var changed = scan.ByColumn.Values.Where(c => previous[c.Name] is { } p && Family(p.Content ?? p.Type) != Family(c.ContentType) && c.NonNull > 0)
                .Select(c => $"{c.Name}: {(previous[c.Name]!.Content ?? previous[c.Name]!.Type).ToString().ToLowerInvariant()} → {c.ContentType.ToString().ToLowerInvariant()}").ToList();
            return Outcome.Of(changed.Count == 0, changed.Count, $"Column types changed: {string.Join("; ", changed)}.", changed);
        });

        yield return new("schema_unseen_category", null, policy.UnseenCategory, baseline, scan =>
        {
            var unseen = new List<string>();
            foreach (var c in scan.ByColumn.Values)
            {
                if (previous[c.Name]?.Categories is not { } known || c.Categories is not { } now) continue;
                var set = known.ToHashSet(StringComparer.Ordinal);
                unseen.AddRange(now.Where(kv => !set.Contains(kv.Key)).Select(kv => $"{c.Name}: '{kv.Key}' ({kv.Value} rows)"));
            }
            return Outcome.Of(unseen.Count == 0, unseen.Count, $"{unseen.Count} values never seen in the last accepted dataset, e.g. {string.Join("; ", unseen.Take(3))}.", unseen);
        });

        yield return new("schema_target_class_missing", previous.Target, policy.TargetClassMissing, baseline, scan =>
        {
            if (previous[previous.Target]?.Categories is not { } classes || scan.TargetColumn?.Categories is not { } now)
                return Outcome.Of(true, 0, "", []);
            var vanished = classes.Where(k => !now.ContainsKey(k)).ToList();
            return Outcome.Of(vanished.Count == 0, vanished.Count,
                $"Target classes of the last accepted dataset are absent: {string.Join(", ", vanished)}. A model trained on this data could never predict them.", vanished);
        });

        yield return new("schema_null_rate_shift", null, policy.NullRateShift, new Dictionary<string, object?>(baseline) { ["threshold"] = policy.NullRateShiftThreshold }, scan =>
        {
            var shifted = scan.ByColumn.Values.Where(c => previous[c.Name] is { } p && Math.Abs(c.NullRate - p.NullRate) > policy.NullRateShiftThreshold)
                .Select(c => $"{c.Name}: {previous[c.Name]!.NullRate:P1} → {c.NullRate:P1} empty").ToList();
            return Outcome.Of(shifted.Count == 0, shifted.Count, $"Share of empty cells changed by more than {policy.NullRateShiftThreshold:P0}: {string.Join("; ", shifted)}.", shifted);
        });
    }

    /// <summary>Integer and number are one family: a float appearing in a column of whole numbers is not a schema change.</summary>
    static string Family(ColumnType t) => t is ColumnType.Integer or ColumnType.Number ? "numeric" : t.ToString();
}
