using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Validate.Consumers;

/// <summary>Validates a run's dataset in one pass and stores the report (JSON and HTML) and the reference profile under the run.</summary>
public sealed class DataArrivedConsumer(IArtifactStore store, ILogger<DataArrivedConsumer> logger) : IConsumer<DataArrived>
{
    public async Task Consume(ConsumeContext<DataArrived> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(m.RunId), ct);

        DatasetScan scan;
        await using (var csv = await store.OpenReadAsync(m.DatasetKey, ct))
        {
            scan = DatasetScan.Run(csv, spec);
        }
        var report = new ExpectationSuite(spec.Validation).Evaluate(m.RunId, m.Pipeline, scan);
        var profile = report.Success ? scan.ToProfile(m.RunId) : null;

        if (profile is not null) await store.PutJsonAsync(ArtifactKeys.Profile(m.RunId), profile, ct);
        await store.PutTextAsync(ArtifactKeys.ValidationHtml(m.RunId), ReportPage.Render(report, profile), "text/html", ct);
        await store.PutJsonAsync(ArtifactKeys.Validation(m.RunId), report, ct);

        if (report.Success)
        {
            logger.LogInformation("Run {RunId}: {Rows} rows passed {Count} expectations", m.RunId, scan.Rows, report.Statistics.EvaluatedExpectations);
            await context.Publish(new DataValidated(m.RunId, m.Pipeline, m.DatasetKey, ArtifactKeys.Validation(m.RunId), ArtifactKeys.Profile(m.RunId),
                scan.Rows, scan.Features, scan.Target), ct);
        }
        else
        {
            logger.LogWarning("Run {RunId}: dataset rejected: {Reasons}", m.RunId, string.Join(" ", report.Reasons));
            await context.Publish(new DataRejected(m.RunId, m.Pipeline, ArtifactKeys.Validation(m.RunId), report.Reasons), ct);
        }
    }
}
