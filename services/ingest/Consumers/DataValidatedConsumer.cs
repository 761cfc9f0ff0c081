using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Ingest.Consumers;

/// <summary>
/// Remembers the newest accepted dataset of each pipeline, so a retrain knows what to train on, and writes what validation
/// worked out about its columns into the pipeline's spec (the next dataset is validated against it).
/// </summary>
public sealed class DataValidatedConsumer(IArtifactStore store, PipelineCatalog catalog, ILogger<DataValidatedConsumer> logger) : IConsumer<DataValidated>
{
    public async Task Consume(ConsumeContext<DataValidated> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var manifest = m.Manifest ?? await store.GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), ct);
        var current = await store.TryGetJsonAsync<LatestAccepted>(ArtifactKeys.LatestAccepted(m.Pipeline), ct);
        if (current is not null && current.CreatedAt >= manifest.CreatedAt) return; // an older run validated late
        await store.PutJsonAsync(ArtifactKeys.LatestAccepted(m.Pipeline),
            new LatestAccepted(m.RunId, manifest.DatasetKey, manifest.DatasetSha256, manifest.DatasetBytes, manifest.CreatedAt), ct);
        if (m.Inferred is { Count: > 0 } inferred && await catalog.LearnAsync(m.Pipeline, m.RunId, inferred, ct) is { } errors)
            logger.LogWarning("Run {RunId}: the inferred columns of {Pipeline} were not written into its spec: {Errors}", m.RunId, m.Pipeline,
                string.Join(" ", errors.SelectMany(e => e.Value)));
    }
}

/// <summary>Queue <c>ingest-data-validated</c>: fixed here, not derived from where the class lives.</summary>
public sealed class DataValidatedConsumerDefinition() : StageConsumerDefinition<DataValidatedConsumer>("ingest", "data-validated");
