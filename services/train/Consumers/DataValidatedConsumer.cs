using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Train.Consumers;

/// <summary>
/// Trains the run's model and stores model.zip, model.onnx, holdout.csv (the hold-out rows), holdout-predictions.csv (ML.NET's
/// answers for them), metrics.json and model.json under the run.
/// Content-addressed caching: when a run that already trained had the same dataset bytes, training settings, code version and seed,
/// its model is copied instead of trained again (unless the spec's cache is off for the pipeline or this trigger).
/// Idempotent and safe to kill: the card is written last and is what marks the run trained, so a redelivered event for a
/// trained run republishes ModelTrained without training again, and a run killed half-way is trained again from the start
/// (its earlier partial files are overwritten; nothing reads them before the card exists).
/// </summary>
public sealed class DataValidatedConsumer(IArtifactStore store, Microsoft.Extensions.Options.IOptions<TrainOptions> options, ILogger<DataValidatedConsumer> logger) : IConsumer<DataValidated>
{
    public async Task Consume(ConsumeContext<DataValidated> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var spec = await store.RunSpecAsync(m.RunId, m.Spec, ct);
        var carried = spec;
        spec = spec with { Features = InferredColumn.Apply(spec.Features, m.Inferred) }; // what validate worked out about unnamed columns
        // The manifest travels on the event; a message from an older MlOps sends train to the stored one.
        var manifest = m.Manifest ?? await store.GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), ct);
        var cacheKey = CacheKey(manifest, spec, m);
        // The cache entry is written after the card: an entry naming this run means it trained already (a redelivery), so
        // the entry is the one read that tells both "trained before" and "trained elsewhere" apart from "train now".
        var entry = await store.TryGetJsonAsync<CacheEntry>(ArtifactKeys.TrainingCache(cacheKey), ct);
        ModelCard? card = null;
        if (entry?.RunId == m.RunId)
        {
            card = await store.TryGetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(m.RunId), ct);
        }
        else if (entry is not null && spec.Cache.Enabled && !spec.Cache.DisabledFor.Contains(manifest.Trigger)
            && await store.TryGetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(entry.RunId), ct) is { } cached)
        {
            card = await ReuseAsync(m.RunId, cached, ct);
            logger.LogInformation("Run {RunId}: cache hit, reusing the model of run {CachedRunId} (same dataset bytes, training settings, code and seed)", m.RunId, entry.RunId);
        }
        if (card is null && m.Rows * Math.Max(1, m.Features.Count) > options.Value.MaxCells)
        {
            await context.Publish(new RunFailed(m.RunId, m.Pipeline, "train",
                $"{m.Rows:N0} rows × {m.Features.Count:N0} features = {m.Rows * m.Features.Count:N0} cells, more than one training may hold " +
                $"({options.Value.MaxCells:N0}, Train:MaxCells). Sample the rows, drop features (features.exclude), or raise the limit on a larger machine."), ct);
            return;
        }
        if (card is null)
        {
            var layout = FeatureLayout.From(spec, m.Features);
            TrainedModel trained;
            // The pipeline's own limit (trainer.timeout); the stage's (Stages:train:Timeout) cancels ct. ML.NET cannot be
            // stopped from outside, so a training past its time is left to finish on its own and its result dropped.
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (spec.Trainer.Timeout is { } timeout) limit.CancelAfter(timeout);
            try
            {
                LabelledRows rows;
                await using (var csv = await store.OpenReadAsync(ArtifactKeys.Dataset(m.RunId), limit.Token))
                    rows = CsvRows.Read(csv, layout.Numeric, layout.Categorical, layout.Hashed, m.Target, layout.Timestamps);
                logger.LogInformation("Run {RunId}: training {Trainer} on {Rows} rows ({Numeric} numeric, {Categorical} categorical, {Hashed} hashed, {Timestamps} timestamp features)",
                    m.RunId, spec.Trainer.Name, rows.Inputs.Rows, layout.Numeric.Count, layout.Categorical.Count, layout.Hashed.Count, layout.Timestamps.Count);
                trained = await Task.Run(() => ModelTrainer.Train(m.RunId, m.Pipeline, spec, layout, m.Target, rows, CodeVersion.Current), CancellationToken.None)
                    .WaitAsync(limit.Token);
            }
            catch (Exception e) when (e is TrainingException or InvalidDataException)
            {
                logger.LogWarning("Run {RunId}: training failed: {Error}", m.RunId, e.Message);
                await context.Publish(new RunFailed(m.RunId, m.Pipeline, "train", e.Message), ct);
                return;
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Run {RunId}: training passed trainer.timeout {Timeout}", m.RunId, spec.Trainer.Timeout);
                await context.Publish(new RunFailed(m.RunId, m.Pipeline, "train",
                    $"Training did not finish within trainer.timeout ({spec.Trainer.Timeout:c}) and its result was dropped. Raise trainer.timeout in the " +
                    $"pipeline's spec, or make the model smaller (fewer trees or leaves, a rowFraction below 1), then retry the run (POST /pipelines/{m.Pipeline}/retrain)."), ct);
                return;
            }
            card = trained.Card with { HoldoutKey = ArtifactKeys.Holdout(m.RunId) };
            await store.PutAsync(ArtifactKeys.Model(m.RunId), new MemoryStream(trained.ModelZip), "application/zip", ct);
            await store.PutAsync(ArtifactKeys.Onnx(m.RunId), new MemoryStream(trained.Onnx), "application/octet-stream", ct);
            await store.PutAsync(ArtifactKeys.Holdout(m.RunId), new MemoryStream(trained.HoldoutCsv), "text/csv", ct);
            await store.PutAsync(ArtifactKeys.HoldoutPredictions(m.RunId), new MemoryStream(trained.PredictionsCsv), "text/csv", ct);
            await store.PutJsonAsync(ArtifactKeys.Metrics(m.RunId), new { card.Metrics, trained.Evaluation.Classes, trained.Evaluation.ConfusionMatrix }, ct);
            await store.PutJsonAsync(ArtifactKeys.ModelCard(m.RunId), card, ct);
            await store.PutJsonAsync(ArtifactKeys.TrainingCache(cacheKey), new CacheEntry(m.RunId, card.ModelSha256), ct);
            logger.LogInformation("Run {RunId}: {Trainer} {Task} model trained, {Metrics}", m.RunId, card.Trainer, card.Task,
                string.Join(", ", card.Metrics.Select(kv => $"{kv.Key}={kv.Value}")));
        }

        await context.Publish(new ModelTrained(m.RunId, m.Pipeline, card.ModelSha256, card.Task, card.Trainer, card.Metrics, card.CachedFrom, carried, card), ct);
    }

    /// <summary>The content address of a training: the dataset's bytes, the spec, the code that trains, and the seed.</summary>
    /// <summary>
    /// What determines the model: the dataset's bytes, the code, the seed, and what training reads of the spec — the task,
    /// the target, the feature columns, the trainer (not its time limit) and the features as applied (inference included). Not the gate, drift or
    /// validation settings, nor whether a column's type is written in the spec or inferred: a spec edit elsewhere, or the
    /// inference written into the spec after a run, reuses the model.
    /// </summary>
    static string CacheKey(RunManifest manifest, PipelineSpec spec, DataValidated m)
    {
        var training = System.Text.Json.JsonSerializer.Serialize(
            new { spec.Task, m.Target, Columns = m.Features, Trainer = spec.Trainer with { Timeout = null }, spec.Features, spec.Inference.MaxClasses }, ArtifactStoreJson.Options);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"dataset {manifest.DatasetSha256}\ntraining {training}\ncode {CodeVersion.Current}\nseed {manifest.Seed}\n")));
    }

    /// <summary>Copies a cached run's model files under this run (the card last, naming where they came from).</summary>
    async Task<ModelCard> ReuseAsync(Guid runId, ModelCard cached, CancellationToken ct)
    {
        foreach (var (from, to) in new[]
        {
            (ArtifactKeys.Model(cached.RunId), ArtifactKeys.Model(runId)), (ArtifactKeys.Onnx(cached.RunId), ArtifactKeys.Onnx(runId)),
            (ArtifactKeys.Holdout(cached.RunId), ArtifactKeys.Holdout(runId)), (ArtifactKeys.HoldoutPredictions(cached.RunId), ArtifactKeys.HoldoutPredictions(runId)),
            (ArtifactKeys.Metrics(cached.RunId), ArtifactKeys.Metrics(runId)),
        })
        {
            await using var source = await store.OpenReadAsync(from, ct);
            await store.PutAsync(to, source, "application/octet-stream", ct);
        }
        var card = cached with { RunId = runId, HoldoutKey = ArtifactKeys.Holdout(runId), CachedFrom = cached.CachedFrom ?? cached.RunId };
        await store.PutJsonAsync(ArtifactKeys.ModelCard(runId), card, ct);
        return card;
    }

    /// <summary>An entry of the training cache (<c>cache/train/{key}.json</c>): the run that trained this content first.</summary>
    public record CacheEntry(Guid RunId, string ModelSha256);
}

/// <summary>Queue <c>train-data-validated</c>: fixed here, not derived from where the class lives.</summary>
public sealed class DataValidatedConsumerDefinition() : StageConsumerDefinition<DataValidatedConsumer>("train", "data-validated");
