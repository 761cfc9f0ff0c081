using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// On start, watches again every pipeline deploy serves (its <see cref="DeploymentRecord"/>), so a restarted monitor keeps
/// checking drift, schedules and volume instead of waiting for the next deployment, from where it was (<see cref="MonitorState"/>).
/// Retired pipelines stay unwatched.
/// </summary>
public sealed class WatchRestorer(DriftMonitor monitor, IArtifactStore store, ILogger<WatchRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        foreach (var key in await store.ListAsync(ArtifactKeys.Deployments, ct))
        {
            try
            {
                var record = await store.GetJsonAsync<DeploymentRecord>(key, ct);
                if (record.Retired is null && monitor.Status(record.Pipeline) is null)
                    await monitor.WatchAsync(record.Pipeline, record.RunId, record.Version, ct, record.DeployedAt);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not watch the deployment in {Key} again", key);
            }
        }
    }
}
