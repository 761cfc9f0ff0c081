using MassTransit;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Train.Consumers;

/// <summary>
/// Trains the run's model and stores model.zip, model.onnx, holdout.csv (the hold-out rows), holdout-predictions.csv (ML.NET's
/// answers for them), metrics.json and model.json under the run.
/// Idempotent and safe to kill: the card is written last and is what marks the run trained, so a redelivered event for a
/// trained run republishes ModelTrained without training again, and a run killed half-way is trained again from the start
/// (its earlier partial files are overwritten; nothing reads them before the card exists).
/// </summary>
public sealed class DataValidatedConsumer(IArtifactStore store, ILogger<DataValidatedConsumer> logger) : IConsumer<DataValidated>
{
    public async Task Consume(ConsumeContext<DataValidated> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var card = await store.TryGetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(m.RunId), ct);
        if (card is null)
        {
            var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(m.RunId), ct);
            var layout = FeatureLayout.From(spec, m.Features);
            TrainedModel trained;
            try
            {
                LabelledRows rows;
                await using (var csv = await store.OpenReadAsync(m.DatasetKey, ct))
                    rows = CsvRows.Read(csv, layout.Numeric, layout.Categorical, layout.Hashed, m.Target);
                logger.LogInformation("Run {RunId}: training {Trainer} on {Rows} rows ({Numeric} numeric, {Categorical} categorical, {Hashed} hashed features)",
                    m.RunId, spec.Trainer.Name, rows.Inputs.Rows, layout.Numeric.Count, layout.Categorical.Count, layout.Hashed.Count);
                trained = ModelTrainer.Train(m.RunId, m.Pipeline, spec, layout, m.Target, rows, CodeVersion.Current);
            }
            catch (Exception e) when (e is TrainingException or InvalidDataException)
            {
                logger.LogWarning("Run {RunId}: training failed: {Error}", m.RunId, e.Message);
                await context.Publish(new RunFailed(m.RunId, m.Pipeline, "train", e.Message), ct);
                return;
            }
            card = trained.Card with { HoldoutKey = ArtifactKeys.Holdout(m.RunId) };
            await store.PutAsync(ArtifactKeys.Model(m.RunId), new MemoryStream(trained.ModelZip), "application/zip", ct);
            await store.PutAsync(ArtifactKeys.Onnx(m.RunId), new MemoryStream(trained.Onnx), "application/octet-stream", ct);
            await store.PutAsync(ArtifactKeys.Holdout(m.RunId), new MemoryStream(trained.HoldoutCsv), "text/csv", ct);
            await store.PutAsync(ArtifactKeys.HoldoutPredictions(m.RunId), new MemoryStream(trained.PredictionsCsv), "text/csv", ct);
            await store.PutJsonAsync(ArtifactKeys.Metrics(m.RunId), new { card.Metrics, trained.Evaluation.Classes, trained.Evaluation.ConfusionMatrix }, ct);
            await store.PutJsonAsync(ArtifactKeys.ModelCard(m.RunId), card, ct);
            logger.LogInformation("Run {RunId}: {Trainer} {Task} model trained, {Metrics}", m.RunId, card.Trainer, card.Task,
                string.Join(", ", card.Metrics.Select(kv => $"{kv.Key}={kv.Value}")));
        }

        await context.Publish(new ModelTrained(m.RunId, m.Pipeline, ArtifactKeys.Model(m.RunId), ArtifactKeys.Onnx(m.RunId), card.ModelSha256,
            card.Task.ToString(), card.Trainer, card.Metrics), ct);
    }
}
