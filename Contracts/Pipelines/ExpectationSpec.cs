using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// One expectation of a pipeline's suite, named as in Great Expectations (<c>expect_column_values_to_be_between</c> …).
/// Column expectations take <see cref="Mostly"/>: the share of non-null values that must meet them.
/// An expectation with <see cref="Severity.Warning"/> is reported but never rejects the dataset.
/// </summary>
public record ExpectationSpec
{
    public string Expectation { get; init; } = "";
    public string? Column { get; init; }
    public List<string>? Columns { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public List<string>? Values { get; init; }
    public string? Regex { get; init; }
    public ColumnType? Type { get; init; }
    public double Mostly { get; init; } = 1.0;
    public Severity Severity { get; init; } = Severity.Error;
}

/// <summary>What each expectation needs, so a suite is checked when the pipeline is registered rather than when data arrives.</summary>
public static class ExpectationCatalog
{
    [Flags]
    public enum Needs
    {
        None = 0,
        Column = 1,
        Columns = 2,
        Range = 4,
        Values = 8,
        Regex = 16,
        Type = 32,
    }

    /// <summary>Expectation name → its arguments and whether it is judged value by value (so <c>mostly</c> applies).</summary>
    public static readonly IReadOnlyDictionary<string, (Needs Needs, bool PerValue)> Known = new Dictionary<string, (Needs, bool)>
    {
        ["expect_table_row_count_to_be_between"] = (Needs.Range, false),
        ["expect_column_to_exist"] = (Needs.Column, false),
        ["expect_table_columns_to_match_set"] = (Needs.Columns, false),
        ["expect_table_columns_to_match_ordered_list"] = (Needs.Columns, false),
        ["expect_column_values_to_not_be_null"] = (Needs.Column, true),
        ["expect_column_values_to_be_between"] = (Needs.Column | Needs.Range, true),
        ["expect_column_values_to_be_in_set"] = (Needs.Column | Needs.Values, true),
        ["expect_column_values_to_be_unique"] = (Needs.Column, true),
        ["expect_column_values_to_match_regex"] = (Needs.Column | Needs.Regex, true),
        ["expect_column_values_to_be_of_type"] = (Needs.Column | Needs.Type, true),
        ["expect_column_min_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_max_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_mean_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_stdev_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_median_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_distinct_values_to_equal_set"] = (Needs.Column | Needs.Values, false),
        ["expect_column_unique_value_count_to_be_between"] = (Needs.Column | Needs.Range, false),
    };
}

/// <summary>
/// Checks each expectation of a suite when the pipeline is registered: a known name, the arguments it needs, sane values,
/// a regex that compiles. A suite that is wrong is refused here with every reason, never discovered when data arrives.
/// </summary>
public sealed class ExpectationSpecValidator : AbstractValidator<ExpectationSpec>
{
    public ExpectationSpecValidator()
    {
        RuleFor(e => e.Expectation).Must(ExpectationCatalog.Known.ContainsKey)
            .WithMessage(e => $"Unknown expectation '{e.Expectation}'. Known: {string.Join(", ", ExpectationCatalog.Known.Keys)}.");
        When(e => ExpectationCatalog.Known.ContainsKey(e.Expectation), () =>
        {
            RuleFor(e => e.Column).Must(c => !string.IsNullOrWhiteSpace(c)).When(e => Needs(e, ExpectationCatalog.Needs.Column))
                .WithMessage(e => $"{e.Expectation} needs 'column'.");
            RuleFor(e => e.Columns).Must(c => c is { Count: > 0 } && c.All(n => !string.IsNullOrWhiteSpace(n))).When(e => Needs(e, ExpectationCatalog.Needs.Columns))
                .WithMessage(e => $"{e.Expectation} needs 'columns', a non-empty list of names.");
            RuleFor(e => e).Must(e => e.Min is not null || e.Max is not null).When(e => Needs(e, ExpectationCatalog.Needs.Range))
                .WithName("min").WithMessage(e => $"{e.Expectation} needs 'min', 'max' or both.");
            RuleFor(e => e).Must(e => e.Min is null || e.Max is null || e.Min <= e.Max)
                .WithName("min").WithMessage(e => $"{e.Expectation}: min {e.Min} is greater than max {e.Max}; no value could pass.");
            RuleFor(e => e).Must(e => (e.Min is null || double.IsFinite(e.Min.Value)) && (e.Max is null || double.IsFinite(e.Max.Value)))
                .WithName("min").WithMessage(e => $"{e.Expectation}: min and max must be finite numbers.");
            RuleFor(e => e.Values).Must(v => v is { Count: > 0 }).When(e => Needs(e, ExpectationCatalog.Needs.Values))
                .WithMessage(e => $"{e.Expectation} needs 'values', a non-empty list.");
            RuleFor(e => e.Regex).Must(r => RegexProblem(r) is null).When(e => Needs(e, ExpectationCatalog.Needs.Regex))
                .WithMessage(e => $"{e.Expectation}: {RegexProblem(e.Regex)}");
            RuleFor(e => e.Type).NotNull().IsInEnum().When(e => Needs(e, ExpectationCatalog.Needs.Type))
                .WithMessage(e => $"{e.Expectation} needs 'type': number, integer, string or boolean.");
            RuleFor(e => e.Mostly).Must(m => m > 0 && m <= 1).WithMessage(e => $"{e.Expectation}: 'mostly' must be in (0, 1], not {e.Mostly}.");
            RuleFor(e => e.Mostly).Equal(1.0).When(e => !ExpectationCatalog.Known[e.Expectation].PerValue)
                .WithMessage(e => $"{e.Expectation} is judged on the whole column, so 'mostly' does not apply.");
            RuleFor(e => e.Severity).IsInEnum();
        });
    }

    static bool Needs(ExpectationSpec e, ExpectationCatalog.Needs what) => ExpectationCatalog.Known[e.Expectation].Needs.HasFlag(what);

    /// <summary>
    /// Why a pattern cannot be used, or null. Patterns run without backtracking (linear time whatever the data: no
    /// catastrophic backtracking), so the constructs that need it (back-references, lookarounds, atomic groups,
    /// conditionals) are refused, with .NET's own words for the construct.
    /// </summary>
    public static string? RegexProblem(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern)) return "'regex' is missing.";
        if (pattern.Length > 1000) return $"'regex' has {pattern.Length} characters; at most 1000.";
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"'regex' {pattern} does not compile as a .NET regular expression: {e.Message}";
        }
        catch (NotSupportedException e)
        {
            return $"'regex' {pattern} uses a construct that needs backtracking, which MlOps does not run (it keeps matching linear in time): {e.Message} " +
                "Rewrite it without back-references, lookahead or lookbehind, atomic groups or conditionals.";
        }
    }
}
