namespace MlOps.Contracts;

/// <summary>
/// deploy → every deploy replica (each has a queue of its own): the pipeline's deployment record (<c>deployments/{pipeline}.json</c>)
/// changed; each replica reads it and serves what it says (production, canary, shadow, rollback, retirement).
/// </summary>
public record DeploymentChanged(string Pipeline, DateTimeOffset At);
