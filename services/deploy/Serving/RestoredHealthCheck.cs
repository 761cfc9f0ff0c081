using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlOps.Deploy;

/// <summary>Unhealthy until what served before the start serves again (<see cref="DeploymentRestorer"/>).</summary>
public sealed class RestoredHealthCheck(ServingTable serving) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(serving.Restored
            ? HealthCheckResult.Healthy($"{serving.All.Count} models serving")
            : HealthCheckResult.Unhealthy("Restoring the models that served before the start; not ready yet."));
}
