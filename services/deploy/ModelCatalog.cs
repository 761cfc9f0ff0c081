using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Deploy;

/// <summary>A model version being served: its scorer (a thread-safe ONNX Runtime session) and where it came from.</summary>
public sealed record DeployedModel(string Pipeline, int Version, Guid RunId, OnnxScorer Scorer, DateTimeOffset DeployedAt);

/// <summary>The record of what serves each pipeline, kept in the store so a restarted deploy serves the same versions.</summary>
public record DeploymentRecord(string Pipeline, int Version, Guid RunId, DateTimeOffset DeployedAt);

/// <summary>
/// Which version serves each pipeline. A swap replaces the reference atomically: a request holds the model it started
/// with, so no request fails or is answered by a mix of versions; the old session is disposed after a grace period.
/// </summary>
public sealed class ModelCatalog(IArtifactStore store, TimeProvider clock, ILogger<ModelCatalog> logger)
{
    readonly ConcurrentDictionary<string, DeployedModel> _serving = new(StringComparer.Ordinal);

    public DeployedModel? Get(string pipeline) => _serving.GetValueOrDefault(pipeline);

    public IReadOnlyCollection<DeployedModel> All => _serving.Values.ToList();

    public async Task<DeployedModel> DeployAsync(string pipeline, int version, Guid runId, CancellationToken ct)
    {
        if (Get(pipeline) is { } current && current.Version == version) return current;
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        byte[] onnx;
        await using (var stream = await store.OpenReadAsync(ArtifactKeys.Onnx(runId), ct))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            onnx = buffer.ToArray();
        }
        var scorer = new OnnxScorer(onnx, card);
        WarmUp(scorer);
        var model = new DeployedModel(pipeline, version, runId, scorer, clock.GetUtcNow());
        DeployedModel? previous = null;
        _serving.AddOrUpdate(pipeline, model, (_, old) => { previous = old; return model; });
        await store.PutJsonAsync($"deployments/{pipeline}.json", new DeploymentRecord(pipeline, version, runId, model.DeployedAt), ct);
        logger.LogInformation("Serving {Pipeline} v{Version} (run {RunId}) on {Provider}", pipeline, version, runId, scorer.ExecutionProvider);
        if (previous is not null && previous.Scorer != scorer)
        {
            _ = Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => previous.Scorer.Dispose(), TaskScheduler.Default);
        }
        return model;
    }

    /// <summary>First calls into a fresh session are several times slower; pay that before the model takes traffic.</summary>
    static void WarmUp(OnnxScorer scorer)
    {
        var card = scorer.Card;
        var row = new ModelInputs(1, new float[card.Features.Count], [.. card.Categorical.Select(_ => "")], [.. card.HashedText.Select(_ => "")]);
        for (var i = 0; i < 200; i++) scorer.Score(row);
    }
}

public sealed class ExecutionProviderHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"ONNX Runtime on {ExecutionProvider.Name} ({ExecutionProvider.Reason})",
            new Dictionary<string, object> { ["executionProvider"] = ExecutionProvider.Name }));
}

/// <summary>On start, serves again what the store says was serving, and reports the execution provider chosen.</summary>
public sealed class DeploymentRestorer(ModelCatalog catalog, IArtifactStore store, ILogger<DeploymentRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        ExecutionProvider.Report(logger);
        foreach (var key in await store.ListAsync("deployments/", ct))
        {
            try
            {
                var record = await store.GetJsonAsync<DeploymentRecord>(key, ct);
                await catalog.DeployAsync(record.Pipeline, record.Version, record.RunId, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not restore the deployment in {Key}", key);
            }
        }
    }
}
