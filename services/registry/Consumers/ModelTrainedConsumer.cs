using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry.Consumers;

/// <summary>Records the new model version, runs the gate against the pipeline's spec and champion, and publishes the verdict.</summary>
public sealed class ModelTrainedConsumer(RegistryStore registry, IArtifactStore store, ILogger<ModelTrainedConsumer> logger) : IConsumer<ModelTrained>
{
    public async Task Consume(ConsumeContext<ModelTrained> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(ModelTrained), "gating", m);
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(m.RunId), ct);
        var version = await registry.AddVersionAsync(m.Pipeline, m.RunId, m.ModelSha256, m.Metrics, champion => Gate.Evaluate(spec.Gate, m.Metrics, champion));
        logger.LogInformation("Run {RunId}: {Pipeline} v{Version} {Verdict}: {Reasons}", m.RunId, m.Pipeline, version.Version,
            version.Approved ? "approved" : "rejected", string.Join(" ", version.Reasons));
        if (version.Approved)
            await context.Publish(new ModelApproved(m.RunId, m.Pipeline, version.Version, m.OnnxKey, m.ModelSha256, version.Reasons), ct);
        else
            await context.Publish(new ModelRejected(m.RunId, m.Pipeline, version.Version, version.Reasons), ct);
    }
}
