namespace MlOps.Validate;

/// <summary>Bound from <c>Validate</c>.</summary>
public sealed class ValidateOptions
{
    /// <summary>Compile the validation path at start (<see cref="ValidationWarmUp"/>), so the first dataset runs warm.</summary>
    public bool WarmUpAtStart { get; set; } = true;
}
