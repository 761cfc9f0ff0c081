using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// The validate stage's suite: the built-in checks every dataset gets (header, width, nulls, declared types, row count,
/// a learnable target), the pipeline's own <see cref="Expectations"/> (Great Expectations' names), and the comparison
/// with the last accepted dataset's schema (TFDV's anomalies).
/// </summary>
public record ValidationSpec
{
    public int MinRows { get; init; } = 50;

    /// <summary>
    /// Declared column types. A feature not named here must be a finite number; a <see cref="ColumnType.String"/>
    /// feature is categorical. The target is a label whatever its type.
    /// </summary>
    public Dictionary<string, ColumnType> ColumnTypes { get; init; } = [];

    public List<ExpectationSpec> Expectations { get; init; } = [];
    public SchemaPolicy Schema { get; init; } = new();
}

public sealed class ValidationSpecValidator : AbstractValidator<ValidationSpec>
{
    public ValidationSpecValidator()
    {
        RuleFor(v => v.MinRows).GreaterThanOrEqualTo(10);
        RuleForEach(v => v.ColumnTypes).Must(kv => kv.Key.Trim().Length > 0 && Enum.IsDefined(kv.Value))
            .WithMessage((_, kv) => $"validation.columnTypes: '{kv.Key}' needs a column name and one of number, integer, string, boolean.");
        RuleFor(v => v.Expectations.Count).LessThanOrEqualTo(1000).WithMessage("A suite has at most 1000 expectations.");
        RuleForEach(v => v.Expectations).SetValidator(new ExpectationSpecValidator());
        RuleFor(v => v.Schema.NullRateShiftThreshold).ExclusiveBetween(0.0, 1.0);
    }
}
