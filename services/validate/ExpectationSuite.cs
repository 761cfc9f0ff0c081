using System.Globalization;
using FluentValidation;
using FluentValidation.Results;
using MlOps.Contracts;
using Severity = MlOps.Contracts.Severity;

namespace MlOps.Validate;

/// <summary>One expectation of the suite: its name, column, arguments and how it is judged from a finished <see cref="DatasetScan"/>.</summary>
public sealed record Expectation(string Name, string? Column, Severity Severity, IReadOnlyDictionary<string, object?> Kwargs, Func<DatasetScan, Outcome> Judge);

/// <summary>What an expectation observed; element and unexpected counts only for value-by-value expectations.</summary>
public sealed record Outcome(bool Success, object? Observed, string Message, IReadOnlyList<string> Examples, long? Elements = null, long? Unexpected = null)
{
    public static Outcome Of(bool success, object? observed, string message, IReadOnlyList<string> examples) =>
        new(success, observed, success ? "" : message, examples.Take(DatasetScan.MaxExamples).ToList());
}

/// <summary>
/// The validate stage's suite as FluentValidation rules over one <see cref="DatasetScan"/>: the built-in checks every dataset
/// gets, the pipeline's Great Expectations suite, and the anomalies against the last accepted schema. A failed rule carries
/// its expectation name as error code and its severity; the outcome of every rule, passed or failed, goes into the report.
/// </summary>
public sealed class ExpectationSuite : AbstractValidator<DatasetScan>
{
    const string OutcomesKey = "outcomes";
    readonly List<Expectation> _expectations = [];

    public IReadOnlyList<Expectation> Expectations => _expectations;

    readonly IReadOnlySet<string> _imputed;
    readonly bool _regression;
    readonly PipelineSpec _spec;

    public ExpectationSuite(PipelineSpec spec, DatasetSchema? previous = null)
    {
        _spec = spec;
        _imputed = spec.Features.Impute.Keys.ToHashSet(StringComparer.Ordinal);
        _regression = spec.Task == ModelTask.Regression;
        var v = spec.Validation;
        Add(new("expect_file_to_be_utf8", null, Severity.Error, Args(), s => Outcome.Of(s.InvalidUtf8.Count == 0, s.InvalidUtf8.Count,
            $"{s.InvalidUtf8.Count} lines hold bytes that are not UTF-8 (e.g. {string.Join(", ", s.InvalidUtf8.Examples)}). Save the file as UTF-8 and upload it again.", s.InvalidUtf8.Examples)));
        Add(new("expect_file_quotes_to_be_closed", null, Severity.Error, Args(), s => Outcome.Of(s.UnclosedQuotes.Count == 0, s.UnclosedQuotes.Count,
            $"A quoted field opened at or after {string.Join(", ", s.UnclosedQuotes.Examples)} never closes (no line break outside quotes for 8 MB), or the file ends lines with a bare CR. Fix the quoting and upload it again.", s.UnclosedQuotes.Examples)));
        Add(new("expect_table_header_present", null, Severity.Error, Args(), s => Outcome.Of(HeaderOk(s), string.Join(",", s.Columns),
            s.Columns.Length == 0 ? "The file is empty: no header row."
            : s.HeaderLooksLikeData ? $"The first row ({Clip(string.Join(",", s.Columns))}) is all numbers: the file has no header. Add a header row naming the columns."
            : "The header has empty column names.", [])));

        Add(new("expect_column_names_to_be_unique", null, Severity.Error, Args(), s => Outcome.Of(s.DuplicateColumns.Length == 0, string.Join(", ", s.DuplicateColumns),
            $"Duplicate column names: {string.Join(", ", s.DuplicateColumns)}.", s.DuplicateColumns)));
        Add(new("expect_column_to_exist", spec.Target, Severity.Error, Args(("role", "target")), s => Outcome.Of(s.TargetPresent, s.Target,
            $"The target column '{s.Target}' is not in the header ({Clip(string.Join(", ", s.Columns))}).", [])));
        Add(new("expect_table_row_count_to_be_at_least", null, Severity.Error, Args(("min", v.MinRows)), s => Outcome.Of(s.Rows >= v.MinRows, s.Rows,
            s.Rows == 0 ? "The file has a header but no data rows." : $"{s.Rows} data rows; at least {v.MinRows} are needed (validation.minRows).", [])));
        Add(new("expect_table_rows_to_match_header_width", null, Severity.Error, Args(), s => Outcome.Of(s.Ragged.Count == 0, s.Ragged.Count,
            $"{s.Ragged.Count} rows do not have {s.Columns.Length} fields like the header. Quote fields that contain commas or line breaks.", s.Ragged.Examples)));

        for (var i = 0; i < v.Expectations.Count; i++) Add(FromSpec(v.Expectations[i], i));
        if (previous is not null && v.Schema.Compare)
            foreach (var anomaly in SchemaComparison.Anomalies(previous, v.Schema)) Add(anomaly);
    }

    void Add(Expectation e)
    {
        _expectations.Add(e);
        RuleFor(s => s).Custom((scan, ctx) =>
        {
            var outcome = e.Judge(scan);
            ((List<(Expectation, Outcome)>)ctx.RootContextData[OutcomesKey]).Add((e, outcome));
            if (!outcome.Success)
                ctx.AddFailure(new ValidationFailure(e.Column ?? "table", outcome.Message)
                {
                    ErrorCode = e.Name,
                    Severity = e.Severity == Severity.Warning ? FluentValidation.Severity.Warning : FluentValidation.Severity.Error,
                    CustomState = outcome,
                });
        });
    }

    /// <summary>Runs the suite and lays the outcome out as a Great-Expectations-style result.</summary>
    public ValidationReport Evaluate(Guid runId, string pipeline, DatasetScan scan, Guid? baselineRunId = null)
    {
        var outcomes = new List<(Expectation, Outcome)>();
        var context = new ValidationContext<DatasetScan>(scan);
        context.RootContextData[OutcomesKey] = outcomes;
        var inferred = HeaderOk(scan) ? ColumnRoles.Infer(scan, _spec) : [];
        if (HeaderOk(scan)) AddColumnChecks(scan, outcomes, _imputed, _regression, inferred.ToDictionary(i => i.Name), _spec.Features.Exclude, _spec.Features.Timestamps);
        var failures = Validate(context).Errors;
        // The table expectations after the header are meaningless without one (they would only repeat "no header").
        var results = outcomes
            .Where(o => HeaderOk(scan) || o.Item1.Name is "expect_file_to_be_utf8" or "expect_file_quotes_to_be_closed" or "expect_table_header_present")
            .Select(o => ToResult(o.Item1, o.Item2)).ToList();
        var errors = results.Where(r => !r.Success && r.Severity == Severity.Error).ToList();
        var ok = results.Count(r => r.Success);
        return new ValidationReport(runId, pipeline, errors.Count == 0 && failures.All(f => f.Severity != FluentValidation.Severity.Error),
            scan.Rows, scan.Bytes, scan.Columns, scan.Target, baselineRunId,
            new ValidationStatistics(results.Count, ok, results.Count - ok, results.Count == 0 ? 100 : Math.Round(100.0 * ok / results.Count, 2)),
            results, ColumnSummary.From(scan), inferred);
    }

    /// <summary>Every column's built-in checks (not null; the declared type), judged directly from the column's tallies.</summary>
    static void AddColumnChecks(DatasetScan scan, List<(Expectation, Outcome)> outcomes, IReadOnlySet<string> imputed, bool regression,
        IReadOnlyDictionary<string, InferredColumn> inferred, IReadOnlyList<string> excluded, IReadOnlyList<string> timestamps)
    {
        foreach (var c in scan.ByColumn.Values)
        {
            if (c.Name.Length == 0 || excluded.Contains(c.Name)) continue; // kept in the data, not the model's business
            // A column whose role was inferred: a number must be numbers (its gaps are imputed); text of any role may be
            // anything, an empty cell included (a value of its own); a column left out of the model is not checked.
            if (timestamps.Contains(c.Name))
            {
                outcomes.Add(TimestampCheck(scan, c));
                continue;
            }
            if (inferred.TryGetValue(c.Name, out var role))
            {
                if (role.Role == "number") outcomes.Add(TypeCheck(scan, c, ColumnType.Number));
                continue;
            }
            // An imputed column may have empty cells: the model fills them (features.impute). Its values must still be numbers.
            if (!imputed.Contains(c.Name))
            {
                var notNull = new Expectation("expect_column_values_to_not_be_null", c.Name, Severity.Error, Args(), _ => new Outcome(c.Empty.Count == 0, c.Empty.Count,
                    c.Empty.Count == 0 ? "" : $"Column '{c.Name}' has {c.Empty.Count} empty cells. Fill them, drop the rows, or impute the column (features.impute).", c.Empty.Examples, scan.Rows, c.Empty.Count));
                outcomes.Add((notNull, notNull.Judge(scan)));
            }
            if (c.Declared is not { } type || type == ColumnType.String) continue;
            outcomes.Add(TypeCheck(scan, c, type));
        }
        if (scan.TargetColumn is { } target && !regression)
        {
            var classes = target.Categories?.Count;
            var learnable = new Expectation("expect_column_unique_value_count_to_be_at_least", target.Name, Severity.Error, Args(("min", 2), ("role", "target")),
                _ => Outcome.Of(classes is null or >= 2, classes?.ToString(CultureInfo.InvariantCulture) ?? $"> {ColumnScan.MaxCategories}",
                    $"The target '{target.Name}' has {classes} distinct value(s); a model needs at least 2 to learn anything.",
                    target.Categories?.Keys.ToList() ?? []));
            outcomes.Add((learnable, learnable.Judge(scan)));
        }
    }

    /// <summary>
    /// The built-in check of a timestamp column (features.timestamps): every non-empty cell a date or date-time
    /// (<see cref="DateParts"/>), or every one a number of seconds since 1970 within years 1 to 9999. Empty cells are allowed.
    /// </summary>
    static (Expectation, Outcome) TimestampCheck(DatasetScan scan, ColumnScan c)
    {
        var numbers = c.Numbers + c.NonFinite.Count;
        var outOfRange = c.Texts.Count == 0 && c.Numbers > 0 && (c.Min < DateParts.MinSeconds || c.Max > DateParts.MaxSeconds);
        var bad = c.Texts.Count > 0 ? c.NotDates.Count + numbers : c.NonFinite.Count + (outOfRange ? 1 : 0);
        var problem = c.Texts.Count > 0
            ? $"Column '{c.Name}' is a timestamp (features.timestamps) and has {bad:N0} values that are not dates or times: write them as ISO 8601 (2024-03-15 or 2024-03-15T10:30:00)" +
              (numbers > 0 ? $"; {numbers:N0} are numbers among dates (seconds since 1970 are read only in a column of numbers)." : ".")
            : outOfRange
                ? $"Column '{c.Name}' is a timestamp in seconds since 1970, and runs from {c.Min:G10} to {c.Max:G10}, outside years 1 to 9999 (values in milliseconds: divide them by 1000)."
                : $"Column '{c.Name}' is a timestamp and has {bad:N0} values that are not finite numbers.";
        var examples = c.Texts.Count > 0 ? c.NotDates.Examples : c.NonFinite.Examples;
        var check = new Expectation("expect_column_values_to_be_dateutil_parseable", c.Name, Severity.Error, Args(),
            _ => new Outcome(bad == 0, bad, bad == 0 ? "" : problem, examples, c.NonNull, bad));
        return (check, check.Judge(scan));
    }

    /// <summary>The built-in check that a column's values are of its type, with examples of those that are not.</summary>
    static (Expectation, Outcome) TypeCheck(DatasetScan scan, ColumnScan c, ColumnType type)
    {
        var bad = type switch
        {
            ColumnType.Boolean => [c.NonBoolean],
            ColumnType.Integer => new[] { c.Texts, c.NonFinite, c.NonIntegral },
            _ => [c.Texts, c.NonFinite],
        };
        var count = bad.Sum(t => t.Count);
        var what = type == ColumnType.Number ? "finite numbers" : type == ColumnType.Integer ? "whole numbers" : "true or false";
        var ofType = new Expectation("expect_column_values_to_be_of_type", c.Name, Severity.Error, Args(("type", type.ToString().ToLowerInvariant())),
            _ => new Outcome(count == 0, count, count == 0 ? "" : $"Column '{c.Name}' has {count} values that are not {what}" +
                (c.IsTarget || type != ColumnType.Number ? "." : $" (declare it as \"string\" in validation.columnTypes if it is categorical)."),
                bad.SelectMany(t => t.Examples).Take(DatasetScan.MaxExamples).ToList(), c.NonNull, count));
        return (ofType, ofType.Judge(scan));
    }

    static Expectation FromSpec(ExpectationSpec e, int index)
    {
        var kwargs = Args(("column", e.Column), ("columns", e.Columns), ("min", e.Min), ("max", e.Max), ("values", e.Values), ("regex", e.Regex),
            ("type", e.Type?.ToString().ToLowerInvariant()), ("mostly", e.Mostly == 1 ? null : e.Mostly));
        var column = e.Column;
        var range = $"[{e.Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞"}, {e.Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}]";
        bool InRange(double x) => (e.Min is null || x >= e.Min) && (e.Max is null || x <= e.Max);

        Outcome Column(DatasetScan s, Func<ColumnScan, Outcome> judge) =>
            column is not null && s.ByColumn.TryGetValue(column, out var c) ? judge(c)
            : Outcome.Of(false, null, $"The suite names column '{column}', which is not in the dataset ({Clip(string.Join(", ", s.Columns))}).", []);

        Outcome Statistic(DatasetScan s, string what, Func<ColumnScan, double?> statistic) => Column(s, c => statistic(c) is double x
            ? Outcome.Of(InRange(x), Math.Round(x, 6), $"Column '{column}': {what} is {x:G6}, expected in {range}.", [])
            : Outcome.Of(false, null, $"Column '{column}' has no numbers, so its {what} is undefined.", c.Texts.Examples));

        Func<DatasetScan, Outcome> judge = e.Expectation switch
        {
            "expect_table_row_count_to_be_between" => s => Outcome.Of(InRange(s.Rows), s.Rows, $"{s.Rows} rows, expected in {range}.", []),
            "expect_column_to_exist" => s => Column(s, _ => Outcome.Of(true, column, "", [])),
            "expect_table_columns_to_match_set" => s =>
            {
                var expected = e.Columns ?? [];
                var missing = expected.Except(s.Columns).ToList();
                var extra = s.Columns.Except(expected).ToList();
                return Outcome.Of(missing.Count + extra.Count == 0, string.Join(",", s.Columns),
                    $"Columns differ from the expected set: missing {List(missing)}; unexpected {List(extra)}.", [.. missing.Select(m => "missing " + m), .. extra.Select(x => "unexpected " + x)]);
            },
            "expect_table_columns_to_match_ordered_list" => s =>
            {
                var expected = e.Columns ?? [];
                var first = Enumerable.Range(0, Math.Max(expected.Count, s.Columns.Length))
                    .FirstOrDefault(i => i >= expected.Count || i >= s.Columns.Length || expected[i] != s.Columns[i], -1);
                return Outcome.Of(first < 0, string.Join(",", s.Columns),
                    $"Columns are not in the expected order: position {first + 1} is '{s.Columns.ElementAtOrDefault(first)}', expected '{expected.ElementAtOrDefault(first)}'.", []);
            },
            "expect_column_min_to_be_between" => s => Statistic(s, "minimum", c => c.Numbers > 0 ? c.Min : null),
            "expect_column_max_to_be_between" => s => Statistic(s, "maximum", c => c.Numbers > 0 ? c.Max : null),
            "expect_column_mean_to_be_between" => s => Statistic(s, "mean", c => c.Numbers > 0 ? c.Mean : null),
            "expect_column_stdev_to_be_between" => s => Statistic(s, "standard deviation", c => c.Numbers > 1 ? c.StdDev : null),
            "expect_column_median_to_be_between" => s => Statistic(s, "median", c => c.Median()),
            "expect_column_distinct_values_to_equal_set" => s => Column(s, c =>
            {
                if (c.Categories is not { } seen) return Outcome.Of(false, $"> {ColumnScan.MaxCategories}", $"Column '{column}' has more than {ColumnScan.MaxCategories} distinct values, expected exactly {List(e.Values ?? [])}.", []);
                var expected = e.Values ?? [];
                var missing = expected.Where(x => !seen.ContainsKey(x)).ToList();
                var extra = seen.Keys.Where(x => !expected.Contains(x)).ToList();
                return Outcome.Of(missing.Count + extra.Count == 0, List(seen.Keys.Order(StringComparer.Ordinal)),
                    $"Column '{column}': distinct values differ from {List(expected)}: missing {List(missing)}; unexpected {List(extra)}.", [.. extra.Take(DatasetScan.MaxExamples)]);
            }),
            "expect_column_unique_value_count_to_be_between" => s => Column(s, c =>
            {
                var count = c.Categories?.Count;
                var ok = count is int n ? InRange(n) : e.Max is null;
                return Outcome.Of(ok, count?.ToString(CultureInfo.InvariantCulture) ?? $"> {ColumnScan.MaxCategories}",
                    $"Column '{column}' has {count?.ToString(CultureInfo.InvariantCulture) ?? $"more than {ColumnScan.MaxCategories}"} distinct values, expected in {range}.", []);
            }),
            _ when ExpectationCatalog.Known.TryGetValue(e.Expectation, out var info) && info.PerValue => s => Column(s, c =>
            {
                var check = s.Checks[index];
                var ok = check.Success(e.Mostly);
                var percent = check.Elements == 0 ? 0 : 100.0 * check.Unexpected.Count / check.Elements;
                return new Outcome(ok, Math.Round(percent, 4), ok ? "" :
                    $"Column '{column}': {check.Unexpected.Count} of {check.Elements} values ({percent:0.##}%) fail {e.Expectation}{Describe(e)}; mostly {e.Mostly} allows {100 * (1 - e.Mostly):0.##}%.",
                    check.Unexpected.Examples, check.Elements, check.Unexpected.Count);
            }),
            _ => s => Outcome.Of(false, null, $"Unknown expectation '{e.Expectation}'.", []),
        };
        return new Expectation(e.Expectation, column, e.Severity, kwargs, judge);
    }

    static string Describe(ExpectationSpec e) => e.Expectation switch
    {
        "expect_column_values_to_be_between" => $" [{e.Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞"}, {e.Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}]",
        "expect_column_values_to_be_in_set" => $" {List(e.Values ?? [])}",
        "expect_column_values_to_match_regex" => $" /{e.Regex}/",
        "expect_column_values_to_be_of_type" => $" {e.Type?.ToString().ToLowerInvariant()}",
        _ => "",
    };

    static bool HeaderOk(DatasetScan s) => s.Columns.Length > 0 && s.Columns.All(n => n.Length > 0) && !s.HeaderLooksLikeData;

    static string List(IEnumerable<string> items) => "{" + string.Join(", ", items) + "}";

    static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "…";

    static IReadOnlyDictionary<string, object?> Args(params (string Key, object? Value)[] args) =>
        args.Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value);

    static ExpectationResult ToResult(Expectation e, Outcome o) => new(e.Name, e.Column, e.Kwargs, o.Success, e.Severity,
        o.Success ? null : o.Message,
        new ExpectationOutcome(o.Observed, o.Elements, o.Unexpected, o.Elements is > 0 && o.Unexpected is long u ? Math.Round(100.0 * u / o.Elements.Value, 4) : null, o.Examples));
}

/// <summary>Great Expectations' validation result: success, statistics, per-expectation results, plus TFDV-style column statistics.</summary>
public record ValidationReport(
    Guid RunId,
    string Pipeline,
    bool Success,
    long Rows,
    long Bytes,
    IReadOnlyList<string> Columns,
    string Target,
    Guid? BaselineRunId,
    ValidationStatistics Statistics,
    IReadOnlyList<ExpectationResult> Results,
    IReadOnlyList<ColumnSummary> ColumnStatistics,
    IReadOnlyList<InferredColumn>? Inferred = null)
{
    /// <summary>Why the dataset was rejected: one sentence per failed expectation of severity error.</summary>
    public IReadOnlyList<string> Reasons => Results.Where(r => !r.Success && r.Severity == Severity.Error).Select(r => r.Message!).ToList();
    public IReadOnlyList<string> Warnings => Results.Where(r => !r.Success && r.Severity == Severity.Warning).Select(r => r.Message!).ToList();
}

public record ValidationStatistics(int EvaluatedExpectations, int SuccessfulExpectations, int UnsuccessfulExpectations, double SuccessPercent);

public record ExpectationResult(string ExpectationType, string? Column, IReadOnlyDictionary<string, object?> Kwargs, bool Success, Severity Severity,
    string? Message, ExpectationOutcome Result);

public record ExpectationOutcome(object? ObservedValue, long? ElementCount, long? UnexpectedCount, double? UnexpectedPercent, IReadOnlyList<string> PartialUnexpectedList);
