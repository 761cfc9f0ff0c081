using Microsoft.Extensions.Diagnostics.HealthChecks;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>Reports in /health which ONNX Runtime execution provider serves (CUDA or CPU) and why.</summary>
public sealed class ExecutionProviderHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"ONNX Runtime on {ExecutionProvider.Name} ({ExecutionProvider.Reason})",
            new Dictionary<string, object> { ["executionProvider"] = ExecutionProvider.Name }));
}
