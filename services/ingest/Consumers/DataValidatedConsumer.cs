using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Ingest.Consumers;

/// <summary>Remembers the newest accepted dataset of each pipeline, so a retrain knows what to train on.</summary>
public sealed class DataValidatedConsumer(IArtifactStore store) : IConsumer<DataValidated>
{
    public async Task Consume(ConsumeContext<DataValidated> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var manifest = await store.GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), ct);
        var current = await store.TryGetJsonAsync<LatestAccepted>(ArtifactKeys.LatestAccepted(m.Pipeline), ct);
        if (current is not null && current.CreatedAt >= manifest.CreatedAt) return; // an older run validated late
        await store.PutJsonAsync(ArtifactKeys.LatestAccepted(m.Pipeline),
            new LatestAccepted(m.RunId, manifest.DatasetKey, manifest.DatasetSha256, manifest.DatasetBytes, manifest.CreatedAt), ct);
    }
}

/// <summary>Queue <c>ingest-data-validated</c>: fixed here, not derived from where the class lives.</summary>
public sealed class DataValidatedConsumerDefinition() : StageConsumerDefinition<DataValidatedConsumer>("ingest", "data-validated");
