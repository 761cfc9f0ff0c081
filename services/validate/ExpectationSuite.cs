using FluentValidation;
using FluentValidation.Results;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>
/// The basic expectation suite, written as FluentValidation rules over one <see cref="DatasetScan"/>. Each rule's
/// error code is the expectation's name (Great Expectations' vocabulary), its custom state the observed value and examples.
/// </summary>
public sealed class ExpectationSuite : AbstractValidator<DatasetScan>
{
    public ExpectationSuite(ValidationSpec spec)
    {
        RuleFor(s => s.Columns)
            .Must(c => c.Length > 0 && c.All(n => n.Length > 0))
            .WithErrorCode("expect_table_header_present")
            .WithMessage(s => s.Columns.Length == 0 ? "The file is empty: no header row." : "The header has empty column names.")
            .WithState(s => new Observed(string.Join(",", s.Columns), []));

        When(s => s.Columns.Length > 0, () =>
        {
            RuleFor(s => s.DuplicateColumns).Empty()
                .WithErrorCode("expect_column_names_to_be_unique")
                .WithMessage(s => $"Duplicate column names: {string.Join(", ", s.DuplicateColumns)}.")
                .WithState(s => new Observed(string.Join(", ", s.DuplicateColumns), []));

            RuleFor(s => s.TargetPresent).Equal(true)
                .WithErrorCode("expect_column_to_exist")
                .WithMessage(s => $"The target column '{s.Target}' is not in the header ({string.Join(", ", s.Columns)}).")
                .WithState(s => new Observed(s.Target, []));

            RuleFor(s => s.Rows).GreaterThanOrEqualTo(spec.MinRows)
                .WithErrorCode("expect_table_row_count_to_be_at_least")
                .WithMessage(s => $"{s.Rows} data rows; at least {spec.MinRows} are needed (validation.minRows).")
                .WithState(s => new Observed(s.Rows, []));

            RuleFor(s => s.RaggedRows).Equal(0)
                .WithErrorCode("expect_table_rows_to_match_header_width")
                .WithMessage(s => $"{s.RaggedRows} rows do not have {s.Columns.Length} fields like the header.")
                .WithState(s => new Observed(s.RaggedRows, s.RaggedExamples));

            RuleForEach(s => s.ByColumn.Values).Must(c => c.Empty == 0)
                .OverridePropertyName("columns")
                .WithErrorCode("expect_column_values_to_not_be_null")
                .WithMessage((_, c) => $"Column '{c.Name}' has {c.Empty} empty cells.")
                .WithState((_, c) => new Observed(c.Empty, c.EmptyExamples, c.Name));

            RuleForEach(s => s.ByColumn.Values.Where(c => c.Numeric)).Must(c => c.NotNumbers == 0)
                .OverridePropertyName("features")
                .WithErrorCode("expect_column_values_to_be_finite_numbers")
                .WithMessage((_, c) => $"Feature '{c.Name}' has {c.NotNumbers} values that are not finite numbers.")
                .WithState((_, c) => new Observed(c.NotNumbers, c.NotNumberExamples, c.Name));

            RuleFor(s => s.TargetCounts.Count).GreaterThanOrEqualTo(2).When(s => s.TargetPresent)
                .WithErrorCode("expect_column_unique_value_count_to_be_at_least")
                .WithMessage(s => $"The target '{s.Target}' has {s.TargetCounts.Count} distinct value(s); a classifier needs at least 2.")
                .WithState(s => new Observed(s.TargetCounts.Count, s.TargetCounts.Keys.Take(DatasetScan.MaxExamples).ToList(), s.Target));
        });
    }

    /// <summary>Runs the suite and lays the outcome out as a Great-Expectations-style result.</summary>
    public ValidationReport Evaluate(Guid runId, string pipeline, DatasetScan scan)
    {
        var failures = Validate(scan).Errors;
        var results = new List<ExpectationResult>();
        foreach (var code in ExpectationNames(scan))
        {
            var failed = failures.Where(f => f.ErrorCode == code.Name && (code.Column is null || (f.CustomState as Observed)?.Column == code.Column)).ToList();
            results.Add(failed.Count == 0
                ? new ExpectationResult(code.Name, code.Column, true, null, null, [])
                : ToResult(code.Name, code.Column, failed[0]));
        }
        var ok = results.Count(r => r.Success);
        return new ValidationReport(runId, pipeline, results.All(r => r.Success), scan.Rows, scan.Columns, scan.Target,
            new ValidationStatistics(results.Count, ok, results.Count - ok, results.Count == 0 ? 100 : Math.Round(100.0 * ok / results.Count, 2)),
            results);
    }

    static ExpectationResult ToResult(string name, string? column, ValidationFailure f)
    {
        var observed = f.CustomState as Observed;
        return new ExpectationResult(name, column, false, f.ErrorMessage, observed?.Value?.ToString(), observed?.Examples ?? []);
    }

    /// <summary>The expectations this suite evaluates for this dataset, in report order (column expectations once per column).</summary>
    static IEnumerable<(string Name, string? Column)> ExpectationNames(DatasetScan scan)
    {
        yield return ("expect_table_header_present", null);
        if (scan.Columns.Length == 0) yield break;
        yield return ("expect_column_names_to_be_unique", null);
        yield return ("expect_column_to_exist", null);
        yield return ("expect_table_row_count_to_be_at_least", null);
        yield return ("expect_table_rows_to_match_header_width", null);
        foreach (var c in scan.ByColumn.Values) yield return ("expect_column_values_to_not_be_null", c.Name);
        foreach (var c in scan.ByColumn.Values.Where(c => c.Numeric)) yield return ("expect_column_values_to_be_finite_numbers", c.Name);
        if (scan.TargetPresent) yield return ("expect_column_unique_value_count_to_be_at_least", scan.Target);
    }

    sealed record Observed(object? Value, IReadOnlyList<string> Examples, string? Column = null);
}

public record ValidationReport(
    Guid RunId,
    string Pipeline,
    bool Success,
    long Rows,
    IReadOnlyList<string> Columns,
    string Target,
    ValidationStatistics Statistics,
    IReadOnlyList<ExpectationResult> Results)
{
    public IReadOnlyList<string> Reasons => Results.Where(r => !r.Success).Select(r => r.Message!).ToList();
}

public record ValidationStatistics(int EvaluatedExpectations, int SuccessfulExpectations, int UnsuccessfulExpectations, double SuccessPercent);

public record ExpectationResult(string Expectation, string? Column, bool Success, string? Message, string? Observed, IReadOnlyList<string> Examples);
