using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Registry.Consumers;

/// <summary>
/// Writes every other pipeline event into its run's timeline (with the lineage facts it carries), and keeps each model's
/// log: deployments (which move the champion alias) and requested promotions and rollbacks.
/// </summary>
public sealed class RunTimelineConsumer(RegistryStore registry, IArtifactStore store) :
    IConsumer<RetrainRequested>, IConsumer<DataArrived>, IConsumer<DataValidated>, IConsumer<DataRejected>,
    IConsumer<ModelApproved>, IConsumer<ModelRejected>, IConsumer<ModelDeployed>, IConsumer<DriftDetected>, IConsumer<RunFailed>, IConsumer<DeploymentSkipped>,
    IConsumer<DeploymentRequested>, IConsumer<PerformanceDropped>, IConsumer<DeploymentRolledBack>, IConsumer<ModelRetired>, IConsumer<RetrainDeferred>
{
    public Task Consume(ConsumeContext<RetrainDeferred> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(RetrainDeferred), null, c.Message);

    public async Task Consume(ConsumeContext<DeploymentRolledBack> c)
    {
        var m = c.Message;
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(DeploymentRolledBack), "rolled-back", m, new RunFacts(Error: $"rolled back: {m.Reason}"));
        await registry.LogAsync(m.Pipeline, m.Version, "rolled-back", "deploy", m.Reason, new { runId = m.RunId, serving = m.ServingVersion }, m.At);
    }

    public Task Consume(ConsumeContext<PerformanceDropped> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(PerformanceDropped), null, c.Message);

    public Task Consume(ConsumeContext<RetrainRequested> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(RetrainRequested), "requested", c.Message,
            new RunFacts(Trigger: c.Message.Trigger.ToString(), Parent: c.Message.ParentRunId));

    public async Task Consume(ConsumeContext<DataArrived> c)
    {
        var m = c.Message;
        var manifest = await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), c.CancellationToken);
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(DataArrived), "validating", m, new RunFacts(
            Trigger: m.Trigger.ToString(), Parent: m.ParentRunId, DatasetSha: m.DatasetSha256, Bytes: m.Bytes,
            SpecSha: manifest?.SpecSha256, CodeVersion: manifest?.CodeVersion, Seed: manifest?.Seed));
    }

    public Task Consume(ConsumeContext<DataValidated> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DataValidated), "training", c.Message, new RunFacts(Rows: c.Message.Rows));

    public Task Consume(ConsumeContext<DataRejected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DataRejected), "rejected", c.Message,
            new RunFacts(Error: string.Join(" ", c.Message.Reasons)));

    /// <summary>An approved version deploys, unless its pipeline was retired: then it waits, "approved", for a person's promotion.</summary>
    public Task Consume(ConsumeContext<ModelApproved> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(ModelApproved), registry.IsRetired(c.Message.Pipeline) ? "approved" : "deploying", c.Message);

    public Task Consume(ConsumeContext<ModelRejected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(ModelRejected), "model-rejected", c.Message,
            new RunFacts(Error: string.Join(" ", c.Message.Reasons)));

    public async Task Consume(ConsumeContext<ModelRetired> c)
    {
        var m = c.Message;
        if (!registry.Log(m.Pipeline, "retired").Any(e => e.At == m.RetiredAt)) // else a redelivery
        {
            await registry.LogAsync(m.Pipeline, m.Version, "retired", m.By, m.Reason, new { runId = m.RunId }, m.RetiredAt);
            if (registry.Champion(m.Pipeline)?.Version == m.Version)
            {
                await registry.RemoveAliasAsync(m.Pipeline, "champion");
                await registry.LogAsync(m.Pipeline, m.Version, "alias-moved", "deploy", "the pipeline was retired: nothing serves",
                    new { alias = "champion", from = m.Version, to = (int?)null });
            }
        }
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(ModelRetired), "retired", m);
    }

    public async Task Consume(ConsumeContext<ModelDeployed> c)
    {
        var m = c.Message;
        // The model log and the alias first, the run's status last: whoever sees the run deployed also sees what serves.
        if (!registry.Log(m.Pipeline, "deployed").Any(e => e.Version == m.Version && e.At == m.DeployedAt)) // else a redelivery
        {
            await registry.LogAsync(m.Pipeline, m.Version, "deployed", "deploy", null,
                new { runId = m.RunId, modelSha256 = m.ModelSha256, executionProvider = m.ExecutionProvider }, m.DeployedAt);
            var previous = registry.Champion(m.Pipeline)?.Version;
            if (previous != m.Version)
            {
                await registry.SetAliasAsync(m.Pipeline, "champion", m.Version);
                await registry.LogAsync(m.Pipeline, m.Version, "alias-moved", "deploy", "the version now serving is the champion",
                    new { alias = "champion", from = previous, to = m.Version });
            }
        }
        await registry.RecordAsync(m.RunId, m.Pipeline, nameof(ModelDeployed), "deployed", m);
    }

    public Task Consume(ConsumeContext<DriftDetected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DriftDetected), null, c.Message);

    public Task Consume(ConsumeContext<RunFailed> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(RunFailed), "failed", c.Message,
            new RunFacts(Error: $"{c.Message.Stage}: {c.Message.Error}"));

    /// <summary>Approved, not served (retired, rolled back, or superseded): "approved" is where the run ends until a person promotes it.</summary>
    public Task Consume(ConsumeContext<DeploymentSkipped> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DeploymentSkipped), "approved", c.Message);

    public Task Consume(ConsumeContext<DeploymentRequested> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DeploymentRequested), null, c.Message);
}

/// <summary>Queue <c>registry-run-timeline</c>: fixed here, not derived from where the class lives.</summary>
public sealed class RunTimelineConsumerDefinition() : StageConsumerDefinition<RunTimelineConsumer>("registry", "run-timeline");
