using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest.Consumers;

/// <summary>Starts the requested run from the newest accepted dataset of the pipeline.</summary>
public sealed class RetrainRequestedConsumer(IArtifactStore store, RunStarter runs, ILogger<RetrainRequestedConsumer> logger) : IConsumer<RetrainRequested>
{
    public async Task Consume(ConsumeContext<RetrainRequested> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var latest = await store.TryGetJsonAsync<LatestAccepted>(ArtifactKeys.LatestAccepted(m.Pipeline), ct);
        if (latest is null)
        {
            logger.LogWarning("Retrain of {Pipeline} requested ({Trigger}) but it has no accepted dataset", m.Pipeline, m.Trigger);
            await context.Publish(new RunFailed(m.RunId, m.Pipeline, "ingest",
                $"Pipeline '{m.Pipeline}' has no accepted dataset to retrain on: upload one first (POST /pipelines/{m.Pipeline}/datasets)."), ct);
            return;
        }

        await using var dataset = await store.OpenReadAsync(latest.DatasetKey, ct);
        await runs.StartAsync(m.Pipeline, m.RunId, dataset, latest.DatasetSha256, latest.DatasetBytes,
            m.Trigger, m.Reason, m.ParentRunId ?? latest.RunId, context, ct);
    }
}
