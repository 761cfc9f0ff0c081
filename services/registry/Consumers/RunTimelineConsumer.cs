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
    IConsumer<DeploymentRequested>, IConsumer<PerformanceDropped>, IConsumer<DeploymentRolledBack>, IConsumer<ModelRetired>, IConsumer<RetrainDeferred>,
    IConsumer<RunCancelled>
{
    /// <summary>The event into its run's log, with when it was sent and its stage's time (<see cref="StageClock"/>).</summary>
    Task Record<T>(ConsumeContext<T> c, string? status, RunFacts? facts = null) where T : class, IRunMessage =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, typeof(T).Name, status, c.Message, facts, StageClock.Of(c));

    public Task Consume(ConsumeContext<RunCancelled> c) =>
        Record(c, "cancelled", new RunFacts(Error: $"cancelled by {c.Message.By}: {c.Message.Reason}"));

    public Task Consume(ConsumeContext<RetrainDeferred> c) =>
        Record(c, null);

    public async Task Consume(ConsumeContext<DeploymentRolledBack> c)
    {
        var m = c.Message;
        await Record(c, "rolled-back", new RunFacts(Error: $"rolled back: {m.Reason}"));
        await registry.LogAsync(m.Pipeline, m.Version, "rolled-back", "deploy", m.Reason, new { runId = m.RunId, serving = m.ServingVersion }, m.At);
    }

    public Task Consume(ConsumeContext<PerformanceDropped> c) =>
        Record(c, null);

    public Task Consume(ConsumeContext<RetrainRequested> c) =>
        Record(c, "requested",
            new RunFacts(Trigger: c.Message.Trigger.ToString(), Parent: c.Message.ParentRunId));

    public async Task Consume(ConsumeContext<DataArrived> c)
    {
        var m = c.Message;
        var manifest = await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), c.CancellationToken);
        await Record(c, "validating", new RunFacts(
            Trigger: m.Trigger.ToString(), Parent: m.ParentRunId, DatasetSha: m.DatasetSha256, Bytes: m.Bytes,
            SpecSha: manifest?.SpecSha256, CodeVersion: manifest?.CodeVersion, Seed: manifest?.Seed));
    }

    public Task Consume(ConsumeContext<DataValidated> c) =>
        Record(c, "training", new RunFacts(Rows: c.Message.Rows));

    public Task Consume(ConsumeContext<DataRejected> c) =>
        Record(c, "rejected",
            new RunFacts(Error: string.Join(" ", c.Message.Reasons)));

    /// <summary>An approved version deploys, unless its pipeline was retired: then it waits, "approved", for a person's promotion.</summary>
    public Task Consume(ConsumeContext<ModelApproved> c) =>
        Record(c, registry.IsRetired(c.Message.Pipeline) ? "approved" : "deploying");

    public Task Consume(ConsumeContext<ModelRejected> c) =>
        Record(c, "model-rejected",
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
        await Record(c, "retired");
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
        await Record(c, "deployed");
    }

    public Task Consume(ConsumeContext<DriftDetected> c) =>
        Record(c, null);

    public Task Consume(ConsumeContext<RunFailed> c) =>
        Record(c, "failed",
            new RunFacts(Error: $"{c.Message.Stage}: {c.Message.Error}"));

    /// <summary>Approved, not served (retired, rolled back, or superseded): "approved" is where the run ends until a person promotes it.</summary>
    public Task Consume(ConsumeContext<DeploymentSkipped> c) =>
        Record(c, "approved");

    public Task Consume(ConsumeContext<DeploymentRequested> c) =>
        Record(c, null);
}

/// <summary>Queue <c>registry-run-timeline</c>: fixed here, not derived from where the class lives.</summary>
public sealed class RunTimelineConsumerDefinition() : StageConsumerDefinition<RunTimelineConsumer>("registry", "run-timeline");
