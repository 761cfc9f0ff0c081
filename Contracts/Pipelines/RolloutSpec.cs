namespace MlOps.Contracts;

/// <summary>
/// How an approved version replaces the serving one. With <see cref="CanaryShare"/> 0 it replaces it at once; otherwise it
/// first answers that share of requests (sticky by the request's key when one is given) and is promoted once it has served
/// <see cref="MinPredictions"/> without a performance drop; a drop of the canary rolls it back.
/// </summary>
public record RolloutSpec
{
    public double CanaryShare { get; init; }
    public int MinPredictions { get; init; } = 500;

    /// <summary>Judge the canary after this long even if it has answered fewer than <see cref="MinPredictions"/> (null: only the count).</summary>
    public TimeSpan? MinDuration { get; init; }

    /// <summary>Serve an approved version as a shadow instead: it scores a copy of every request, its answers are compared and logged, never returned; promote it with the champion alias.</summary>
    public bool Shadow { get; init; }
}
