namespace MlOps.Contracts;

/// <summary>
/// Content-addressed caching of training: a run whose dataset bytes, spec, code version and seed equal those of a run
/// that already trained reuses that run's model. Off for a whole pipeline with <see cref="Enabled"/>, or for some triggers.
/// </summary>
public record CacheSpec
{
    public bool Enabled { get; init; } = true;
    public List<Trigger> DisabledFor { get; init; } = [];
}
