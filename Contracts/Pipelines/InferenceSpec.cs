using FluentValidation;

namespace MlOps.Contracts;

/// <summary>
/// How much MlOps works out by itself when the spec leaves it open (issue 15), with the thresholds it decides by.
/// <para><see cref="MaxClasses"/>: with <c>task: auto</c>, a target whose values are all numbers is a regression when any value
/// has a fraction or it has more than this many distinct values (scikit-learn's <c>type_of_target</c> calls any non-integer
/// target continuous; an integer score with hundreds of values, such as a disease-progression score, is a quantity, not
/// hundreds of classes); otherwise it is classified.</para>
/// <para><see cref="Columns"/>: a feature column the spec does not name (in <c>validation.columnTypes</c> or <c>features</c>)
/// gets a role from its values: a number when at least <see cref="NumericShare"/> of its non-empty cells are numbers (the
/// rest are then errors; empty cells are imputed with the training rows' median); true/false or yes/no text a boolean (one-hot); other text categorical
/// (one-hot) up to <see cref="MaxCategories"/> distinct values, an identifier (left out of the model) when nearly every row
/// has its own value (<see cref="IdentifierShare"/>) or the values look like IDs, hashed otherwise; a column with one value
/// constant (left out); ISO 8601 dates and times a timestamp (left out until date parts are derived).</para>
/// </summary>
public record InferenceSpec
{
    public int MaxClasses { get; init; } = 20;
    public bool Columns { get; init; } = true;
    public double NumericShare { get; init; } = 0.95;
    public int MaxCategories { get; init; } = 50;
    public double IdentifierShare { get; init; } = 0.95;

    /// <summary>
    /// What MlOps worked out about columns the spec did not name, written here by ingest once a dataset is accepted (the run
    /// in <see cref="LearnedFrom"/>) and applied to the spec's <c>validation.columnTypes</c> and <c>features</c>: the next
    /// dataset is validated against it (TFDV's flow). A PUT replaces it with what the person sends.
    /// </summary>
    public List<InferredColumn> Learned { get; init; } = [];
    public Guid? LearnedFrom { get; init; }
}

public sealed class InferenceSpecValidator : AbstractValidator<InferenceSpec>
{
    public InferenceSpecValidator()
    {
        RuleFor(i => i.MaxClasses).InclusiveBetween(2, 10_000).WithMessage("inference.maxClasses must be between 2 and 10000.");
        RuleFor(i => i.NumericShare).InclusiveBetween(0.5, 1.0).WithMessage("inference.numericShare must be between 0.5 and 1.");
        RuleFor(i => i.MaxCategories).InclusiveBetween(2, 1000).WithMessage("inference.maxCategories must be between 2 and 1000.");
        RuleFor(i => i.IdentifierShare).InclusiveBetween(0.5, 1.0).WithMessage("inference.identifierShare must be between 0.5 and 1.");
    }
}
