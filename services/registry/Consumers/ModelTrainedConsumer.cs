using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Registry.Consumers;

/// <summary>
/// Records the new model version with the gate's verdict (candidate and champion scored on the same hold-out rows),
/// stores the gate's report under the run, and publishes the verdict. A redelivered event republishes the recorded
/// verdict and creates no second version.
/// </summary>
public sealed class ModelTrainedConsumer(RegistryStore registry, IArtifactStore store, GateEvaluator evaluator, ILogger<ModelTrainedConsumer> logger)
    : IConsumer<ModelTrained>
{
    public async Task Consume(ConsumeContext<ModelTrained> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(ModelTrained), RunStatus.Gating, m, new RunFacts(CachedFrom: m.CachedFrom), StageClock.Of(context));
        var version = registry.VersionOfRun(m.RunId);
        if (version is null)
        {
            var spec = await store.RunSpecAsync(m.RunId, m.Spec, ct);
            var champion = registry.Champion(m.Pipeline);
            var retired = champion is null ? registry.ServedAt(m.Pipeline, DateTimeOffset.MaxValue) is { Kind: "retired" } r ? r : null : null;
            var report = await evaluator.EvaluateAsync(m.RunId, spec, champion, m.Card, ct, retired is null ? null
                : $"No champion: the pipeline was retired (v{retired.Version}, {retired.At:u}, by {retired.Actor}: {retired.Reason}). "
                  + "The value thresholds decide, and the model serves only when a person promotes it.");
            await store.PutJsonAsync(ArtifactKeys.Gate(m.RunId), report, ct);
            version = await registry.AddVersionAsync(m.Pipeline, m.RunId, m.ModelSha256, m.Metrics, _ => new GateVerdict(report.Approved, report.Reasons));
            await registry.LogAsync(m.Pipeline, version.Version, version.Approved ? "version-approved" : "version-rejected", "gate",
                string.Join(" ", version.Reasons), new { runId = m.RunId, modelSha256 = m.ModelSha256, report.Candidate, report.Champion, cachedFrom = m.CachedFrom });
        }
        logger.LogInformation("Run {RunId}: {Pipeline} v{Version} {Verdict}: {Reasons}", m.RunId, m.Pipeline, version.Version,
            version.Approved ? "approved" : "rejected", string.Join(" ", version.Reasons));
        if (version.Approved)
            await context.Publish(new ModelApproved(m.RunId, m.Pipeline, version.Version, m.ModelSha256, version.Reasons, m.Spec, m.Card), ct);
        else
            await context.Publish(new ModelRejected(m.RunId, m.Pipeline, version.Version, version.Reasons), ct);
    }
}

/// <summary>Queue <c>registry-model-trained</c>: fixed here, not derived from where the class lives.</summary>
public sealed class ModelTrainedConsumerDefinition() : StageConsumerDefinition<ModelTrainedConsumer>("registry", "model-trained");
