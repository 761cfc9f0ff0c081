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
public sealed class RunStarter(IArtifactStore store, TimeProvider clock, ILogger<RunStarter> logger)
{
    public async Task<RunManifest> StartAsync(RunStart start, Stream dataset, string sha256, long bytes, IPublishEndpoint publish, CancellationToken ct)
    {
        var (pipeline, runId, spec) = (start.Pipeline, start.RunId, start.Spec);
        // A run ID made for this upload has no earlier start to find; a retrain's may (a redelivered request).
        var manifest = start.Fresh ? null : await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(runId), ct);
        if (manifest is null)
        {
            DatasetSource? kept = null;
            if (start.Source is { } source)
            {
                kept = new DatasetSource(source.Format, ArtifactKeys.DatasetSource(runId, source.Format), source.Sha256, source.Bytes);
                source.Content.Position = 0;
                await store.PutAsync(kept.Key, source.Content, source.ContentType, ct);
            }
            await store.PutAsync(ArtifactKeys.Dataset(runId), dataset, "text/csv", ct);
            await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec, ct);
            manifest = new RunManifest(runId, pipeline, start.Trigger, start.Reason, start.ParentRunId, ArtifactKeys.Dataset(runId), sha256, bytes,
                SpecHash(spec), spec.Trainer.Seed, CodeVersion.Current, clock.GetUtcNow(), start.FeedbackKeys, start.BaseRunId, kept, start.By);
            await store.PutJsonAsync(ArtifactKeys.Manifest(runId), manifest, ct);
            logger.LogInformation("Run {RunId} of {Pipeline} started by {Trigger}: {Bytes} bytes, sha256 {Sha256}", runId, pipeline, start.Trigger, bytes, sha256);
        }
        else
        {
            logger.LogInformation("Run {RunId} of {Pipeline} already started; announcing it again", runId, pipeline);
            // The spec the run started with, not today's: every stage must work from the same one.
            spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
        }

        // The spec travels with the run's events, so no stage reads it back from the store.
        await publish.Publish(new DataArrived(runId, pipeline, manifest.DatasetSha256, manifest.DatasetBytes, manifest.Trigger, manifest.ParentRunId, manifest.StartedBy, spec, manifest), ct);
        return manifest;
    }

    /// <summary>
    /// What a run starts from: its pipeline and the spec it runs with, what started it and why, who asked, the run it
    /// follows (<paramref name="ParentRunId"/>), the run whose dataset it retrains on and the feedback files added to it, and
    /// the uploaded file the dataset was converted from. <paramref name="Fresh"/>: the run ID was just made, so no earlier
    /// start of it can exist (an upload); a retrain's ID may have started before (a redelivered request).
    /// </summary>
    public sealed record RunStart(string Pipeline, Guid RunId, PipelineSpec Spec, Trigger Trigger, string? Reason, string? By,
        Guid? ParentRunId = null, IReadOnlyList<string>? FeedbackKeys = null, Guid? BaseRunId = null, UploadedSource? Source = null, bool Fresh = false);

    /// <summary>The file as uploaded, when the dataset was converted from it.</summary>
    public sealed record UploadedSource(string Format, string ContentType, Stream Content, string Sha256, long Bytes);

    static string SpecHash(PipelineSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec, ArtifactStoreJson.Options)));
}
