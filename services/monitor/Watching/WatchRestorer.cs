namespace MlOps.Monitor;

/// <summary>
/// On start, watches again every pipeline monitor watched before (its own <see cref="WatchedModel"/> records, written from
/// deploy's ModelDeployed and ModelRetired), so a restarted monitor keeps checking drift, schedules and volume from where it
/// was (<see cref="MonitorState"/>) instead of waiting for the next deployment, and reads back the served rows and labels
/// feedback needs (<see cref="FeedbackBook.RestoreAsync"/>). Retired pipelines stay unwatched.
/// </summary>
public sealed class WatchRestorer(Watches watches, FeedbackBook feedback, ILogger<WatchRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var pipelines = new List<string>();
        try
        {
            foreach (var watched in await watches.WatchedBeforeAsync(ct))
            {
                pipelines.Add(watched.Pipeline);
                if (watched.Retired || watches.Get(watched.Pipeline) is not null) continue;
                try
                {
                    await watches.RestoreAsync(watched, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Could not watch {Pipeline} v{Version} again", watched.Pipeline, watched.Version);
                }
            }
        }
        finally
        {
            await feedback.RestoreAsync(pipelines, ct); // retired pipelines too: their served rows may still get labels
        }
    }
}
