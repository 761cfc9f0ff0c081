using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// On start, watches again every pipeline deploy serves (its <see cref="DeploymentRecord"/>), so a restarted monitor keeps
/// checking drift, schedules and volume instead of waiting for the next deployment, from where it was (<see cref="MonitorState"/>),
/// and reads back the served rows and labels feedback needs (<see cref="FeedbackBook.RestoreAsync"/>). Retired pipelines stay unwatched.
/// </summary>
public sealed class WatchRestorer(DriftMonitor monitor, FeedbackBook feedback, IArtifactStore store, ILogger<WatchRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var pipelines = new List<string>();
        try
        {
            await WatchAgainAsync(pipelines, ct);
        }
        finally
        {
            await feedback.RestoreAsync(pipelines, ct); // retired pipelines too: their served rows may still get labels
        }
    }

    async Task WatchAgainAsync(List<string> pipelines, CancellationToken ct)
    {
        foreach (var key in await store.ListAsync(ArtifactKeys.Deployments, ct))
        {
            try
            {
                var record = await store.GetJsonAsync<DeploymentRecord>(key, ct);
                pipelines.Add(record.Pipeline);
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
