namespace MlOps.Validate;

/// <summary>Bound from <c>Validate</c>.</summary>
public sealed class ValidateOptions
{
    /// <summary>Compile the validation path at start (<see cref="ValidationWarmUp"/>), so the first dataset runs warm.</summary>
    public bool WarmUpAtStart { get; set; } = true;

    /// <summary>
    /// The memory validation's per-column samples may take, shared by all columns (default 512 MiB): the reference sample each
    /// column keeps for drift (<c>drift.referenceSampleSize</c>) shrinks for a file wide enough to pass it (never below 100).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(16, 1 << 20)]
    public int MemoryBudgetMiB { get; set; } = 512;
}
