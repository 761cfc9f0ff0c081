using System.Security.Cryptography;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Ingest.Consumers;

/// <summary>
/// Starts the requested run on the pipeline's newest accepted dataset, plus (with <c>retraining.includeFeedback</c>) every file of
/// labelled production rows (<c>pipelines/{p}/feedback/</c>) that dataset does not contain yet, appended in key order in the
/// dataset's own column order. The combined bytes are stored under the run like an upload, and the manifest records the
/// base run and the feedback files, so the retrain is as reproducible as any run.
/// </summary>
public sealed class RetrainRequestedConsumer(IArtifactStore store, RunStarter runs, PipelineCatalog catalog, ILogger<RetrainRequestedConsumer> logger)
    : IConsumer<RetrainRequested>
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

        var spec = await catalog.GetAsync(m.Pipeline, ct);
        var included = (await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(latest.RunId), ct))?.FeedbackKeys ?? [];
        var fresh = spec.Retraining.IncludeFeedback
            ? (await store.ListAsync(ArtifactKeys.Feedback(m.Pipeline), ct)).Where(k => k.EndsWith(".csv", StringComparison.Ordinal)).Except(included).Order(StringComparer.Ordinal).ToList()
            : [];
        if (fresh.Count == 0)
        {
            await using var dataset = await store.OpenReadAsync(latest.DatasetKey, ct);
            await runs.StartAsync(new RunStarter.RunStart(m.Pipeline, m.RunId, spec, m.Trigger, m.Reason, m.By, m.ParentRunId ?? latest.RunId,
                included.Count > 0 ? included : null, latest.RunId), dataset, latest.DatasetSha256, latest.DatasetBytes, context, ct);
            return;
        }

        var combined = Path.Combine(Path.GetTempPath(), $"mlops-retrain-{m.RunId:N}.csv");
        try
        {
            var rows = await CombineAsync(latest.DatasetKey, fresh, combined, ct);
            string sha;
            await using (var file = File.OpenRead(combined)) sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
            logger.LogInformation("Retrain {RunId} of {Pipeline}: dataset of run {Base} plus {Rows} labelled production rows from {Files} feedback files",
                m.RunId, m.Pipeline, latest.RunId, rows, fresh.Count);
            await using var dataset = File.OpenRead(combined);
            await runs.StartAsync(new RunStarter.RunStart(m.Pipeline, m.RunId, spec, m.Trigger,
                $"{m.Reason} Trained on the dataset of run {latest.RunId:N} plus {rows} labelled production rows.", m.By, m.ParentRunId ?? latest.RunId,
                [.. included, .. fresh], latest.RunId), dataset, sha, dataset.Length, context, ct);
        }
        finally
        {
            File.Delete(combined);
        }
    }

    /// <summary>Copies the base dataset, then each feedback file's rows under the base header (a column it lacks stays empty).</summary>
    async Task<long> CombineAsync(string baseKey, IReadOnlyList<string> feedback, string path, CancellationToken ct)
    {
        await using (var output = File.Create(path))
        await using (var source = await store.OpenReadAsync(baseKey, ct))
        {
            await source.CopyToAsync(output, ct);
            if (output.Length > 0)
            {
                output.Seek(-1, SeekOrigin.End);
                var last = output.ReadByte();
                if (last != '\n') output.WriteByte((byte)'\n');
            }
        }
        string[] header;
        await using (var source = await store.OpenReadAsync(baseKey, ct))
        using (var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true, Trim = SepTrim.All }).From(source))
            header = reader.Header.ColNames.ToArray();

        long rows = 0;
        await using var append = new StreamWriter(path, append: true, new System.Text.UTF8Encoding(false));
        using var writer = Sep.New(',').Writer(o => o with { Escape = true, WriteHeader = false }).To(append);
        foreach (var key in feedback)
        {
            await using var source = await store.OpenReadAsync(key, ct);
            using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(source);
            var names = reader.Header.ColNames;
            foreach (var row in reader)
            {
                using var line = writer.NewRow();
                foreach (var column in header)
                    line[column].Set(names.Contains(column) ? row[column].Span : "");
                rows++;
            }
        }
        return rows;
    }
}

/// <summary>Queue <c>ingest-retrain-requested</c>: fixed here, not derived from where the class lives.</summary>
public sealed class RetrainRequestedConsumerDefinition() : StageConsumerDefinition<RetrainRequestedConsumer>("ingest", "retrain-requested");
