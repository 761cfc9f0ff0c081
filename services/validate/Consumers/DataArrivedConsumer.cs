using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Validate.Consumers;

/// <summary>
/// Validates a run's dataset in one pass against the pipeline's suite and its last accepted schema, and stores the report
/// (JSON and page), and for an accepted dataset its schema and reference profile, under the run. The verdict is published last,
/// so whoever reads it finds every artifact it names.
/// </summary>
public sealed class DataArrivedConsumer(IArtifactStore store, Microsoft.Extensions.Options.IOptions<ValidateOptions> options, ILogger<DataArrivedConsumer> logger) : IConsumer<DataArrived>
{
    public async Task Consume(ConsumeContext<DataArrived> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var spec = await store.RunSpecAsync(m.RunId, m.Spec, ct);
        var previous = await store.TryGetJsonAsync<DatasetSchema>(ArtifactKeys.PipelineSchema(m.Pipeline), ct);
        if (previous?.RunId == m.RunId) previous = null; // a redelivery of the run that made the schema

        DatasetScan scan;
        await using (var csv = await store.OpenReadAsync(ArtifactKeys.Dataset(m.RunId), ct))
        {
            scan = await DatasetScan.RunAsync(csv, spec, rows =>
            {
                if (rows % 1_000_000 < 100_000) logger.LogInformation("Run {RunId}: {Rows:N0} rows validated so far", m.RunId, rows);
            }, ct, (long)options.Value.MemoryBudgetMiB << 20);
        }
        if (scan.SampleSize < spec.Drift.ReferenceSampleSize)
            logger.LogWarning("Run {RunId}: {Columns:N0} columns keep {Sample:N0} sampled values each for drift, not {Asked:N0}, to stay within Validate:MemoryBudgetMiB",
                m.RunId, scan.Columns.Length, scan.SampleSize, spec.Drift.ReferenceSampleSize);
        var report = new ExpectationSuite(spec, previous).Evaluate(m.RunId, m.Pipeline, scan, previous?.RunId);

        await store.PutTextAsync(ArtifactKeys.ValidationHtml(m.RunId), ReportPage.Render(report), "text/html", ct);
        await store.PutJsonAsync(ArtifactKeys.Validation(m.RunId), report, ct);

        if (report.Success)
        {
            var schema = DatasetSchema.From(m.RunId, scan);
            var inferred = report.Inferred ?? [];
            var leftOut = inferred.Where(i => !i.IsFeature).Select(i => i.Name).Concat(spec.Features.Exclude).ToHashSet(StringComparer.Ordinal);
            var features = scan.Features.Where(f => !leftOut.Contains(f)).ToList();
            var timestamps = inferred.Where(i => i.Role == "timestamp").Select(i => i.Name).Concat(spec.Features.Timestamps).ToHashSet(StringComparer.Ordinal);
            await store.PutJsonAsync(ArtifactKeys.Profile(m.RunId), scan.ToProfile(m.RunId, features, timestamps), ct);
            await store.PutJsonAsync(ArtifactKeys.Schema(m.RunId), schema, ct);
            await store.PutJsonAsync(ArtifactKeys.PipelineSchema(m.Pipeline), schema, ct);
            logger.LogInformation("Run {RunId}: {Rows} rows passed {Count} expectations ({Warnings} warnings)",
                m.RunId, scan.Rows, report.Statistics.EvaluatedExpectations, report.Warnings.Count);
            await context.Publish(new DataValidated(m.RunId, m.Pipeline, scan.Rows, features, scan.Target,
                report.Warnings, inferred.Count > 0 ? inferred : null, spec, m.Manifest), ct);
        }
        else
        {
            logger.LogWarning("Run {RunId}: dataset rejected: {Reasons}", m.RunId, string.Join(" ", report.Reasons));
            await context.Publish(new DataRejected(m.RunId, m.Pipeline, report.Reasons), ct);
        }
    }
}

/// <summary>Queue <c>validate-data-arrived</c>: fixed here, not derived from where the class lives.</summary>
public sealed class DataArrivedConsumerDefinition() : StageConsumerDefinition<DataArrivedConsumer>("validate", "data-arrived");
