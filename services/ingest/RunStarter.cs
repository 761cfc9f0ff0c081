using System.Security.Cryptography;
using System.Text.Json;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Ingest;

/// <summary>
/// Starts a run: stores the dataset bytes, the exact spec and the manifest under the run, then publishes DataArrived.
/// The manifest is written last, so its presence means the run started completely; starting the same run ID again
/// only publishes DataArrived again (downstream stages are idempotent on the run ID).
/// </summary>
public sealed class RunStarter(IArtifactStore store, PipelineCatalog catalog, TimeProvider clock, ILogger<RunStarter> logger)
{
    public async Task<RunManifest> StartAsync(
        string pipeline, Guid runId, Stream dataset, string sha256, long bytes,
        Trigger trigger, string? reason, Guid? parentRunId, IPublishEndpoint publish, CancellationToken ct,
        IReadOnlyList<string>? feedbackKeys = null, Guid? baseRunId = null, UploadedSource? source = null, string? by = null)
    {
        var manifest = await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(runId), ct);
        if (manifest is null)
        {
            var spec = await catalog.GetAsync(pipeline, ct);
            DatasetSource? kept = null;
            if (source is not null)
            {
                kept = new DatasetSource(source.Format, ArtifactKeys.DatasetSource(runId, source.Format), source.Sha256, source.Bytes);
                source.Content.Position = 0;
                await store.PutAsync(kept.Key, source.Content, source.ContentType, ct);
            }
            await store.PutAsync(ArtifactKeys.Dataset(runId), dataset, "text/csv", ct);
            await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec, ct);
            manifest = new RunManifest(runId, pipeline, trigger, reason, parentRunId, ArtifactKeys.Dataset(runId), sha256, bytes,
                SpecHash(spec), spec.Trainer.Seed, CodeVersion.Current, clock.GetUtcNow(), feedbackKeys, baseRunId, kept, by);
            await store.PutJsonAsync(ArtifactKeys.Manifest(runId), manifest, ct);
            logger.LogInformation("Run {RunId} of {Pipeline} started by {Trigger}: {Bytes} bytes, sha256 {Sha256}", runId, pipeline, trigger, bytes, sha256);
        }
        else
        {
            logger.LogInformation("Run {RunId} of {Pipeline} already started; announcing it again", runId, pipeline);
        }

        await publish.Publish(new DataArrived(runId, pipeline, manifest.DatasetSha256, manifest.DatasetBytes, manifest.Trigger, manifest.ParentRunId, manifest.StartedBy), ct);
        return manifest;
    }

    /// <summary>The file as uploaded, when the dataset was converted from it.</summary>
    public sealed record UploadedSource(string Format, string ContentType, Stream Content, string Sha256, long Bytes);

    static string SpecHash(PipelineSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec, ArtifactStoreJson.Options)));
}
