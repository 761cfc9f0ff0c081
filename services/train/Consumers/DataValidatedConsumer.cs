using System.Globalization;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Train.Consumers;

/// <summary>
/// Trains the run's model and stores model.zip, model.onnx, model.json and metrics.json under the run.
/// Idempotent: a redelivered event for a run whose model card exists republishes ModelTrained without training again.
/// The card is written last, so a half-finished run (killed mid-way) is trained again from the start.
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
            List<FeatureRow> rows;
            await using (var csv = await store.OpenReadAsync(m.DatasetKey, ct))
            {
                rows = ReadRows(csv, m.Features, m.Target);
            }
            TrainedModel trained;
            try
            {
                trained = ModelTrainer.Train(m.RunId, m.Pipeline, spec, m.Features, m.Target, rows, CodeVersion.Current);
            }
            catch (TrainingException e)
            {
                logger.LogWarning("Run {RunId}: training failed: {Error}", m.RunId, e.Message);
                await context.Publish(new RunFailed(m.RunId, m.Pipeline, "train", e.Message), ct);
                return;
            }
            card = trained.Card;
            await store.PutAsync(ArtifactKeys.Model(m.RunId), new MemoryStream(trained.ModelZip), "application/zip", ct);
            await store.PutAsync(ArtifactKeys.Onnx(m.RunId), new MemoryStream(trained.Onnx), "application/octet-stream", ct);
            await store.PutJsonAsync(ArtifactKeys.Metrics(m.RunId), card.Metrics, ct);
            await store.PutJsonAsync(ArtifactKeys.ModelCard(m.RunId), card, ct);
            logger.LogInformation("Run {RunId}: {Trainer} {Task} model trained, {Metrics}", m.RunId, card.Trainer, card.Task,
                string.Join(", ", card.Metrics.Select(kv => $"{kv.Key}={kv.Value}")));
        }

        await context.Publish(new ModelTrained(m.RunId, m.Pipeline, ArtifactKeys.Model(m.RunId), ArtifactKeys.Onnx(m.RunId), card.ModelSha256,
            card.Task.ToString(), card.Trainer, card.Metrics), ct);
    }

    /// <summary>Reads the validated CSV (validate has already checked every cell) into feature rows.</summary>
    static List<FeatureRow> ReadRows(Stream csv, IReadOnlyList<string> features, string target)
    {
        using var text = new StreamReader(csv, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(text);
        var header = reader.Header.ColNames.Select(c => c.Trim()).ToList();
        var featureIndex = features.Select(f => header.IndexOf(f)).ToArray();
        var targetIndex = header.IndexOf(target);
        var rows = new List<FeatureRow>();
        foreach (var row in reader)
        {
            var values = new float[featureIndex.Length];
            for (var i = 0; i < values.Length; i++)
                values[i] = float.Parse(row[featureIndex[i]].Span.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
            rows.Add(new FeatureRow { Features = values, Label = row[targetIndex].ToString().Trim() });
        }
        return rows;
    }
}
