using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Registry.Consumers;

/// <summary>
/// Writes every other pipeline event into its run's timeline (with the lineage facts it carries and the status it moves the
/// run to, <see cref="RunLifecycle"/>). What a deployment, a retirement or a rollback does to the model's log and the
/// champion alias is <see cref="ModelLog"/>'s, done before the run's status moves: whoever sees the run deployed also sees
/// what serves.
/// </summary>
public sealed class RunTimelineConsumer(RegistryStore registry, IArtifactStore store, ModelLog models) :
    IConsumer<RetrainRequested>, IConsumer<DataArrived>, IConsumer<DataValidated>, IConsumer<DataRejected>,
    IConsumer<ModelApproved>, IConsumer<ModelRejected>, IConsumer<ModelDeployed>, IConsumer<DriftDetected>, IConsumer<RunFailed>, IConsumer<DeploymentSkipped>,
    IConsumer<DeploymentRequested>, IConsumer<PerformanceDropped>, IConsumer<DeploymentRolledBack>, IConsumer<ModelRetired>, IConsumer<RetrainDeferred>,
    IConsumer<RunCancelled>
{
    /// <summary>The event into its run's log, with when it was sent and its stage's time (<see cref="StageClock"/>).</summary>
    Task Record<T>(ConsumeContext<T> c, RunStatus? status, RunFacts? facts = null) where T : class, IRunMessage =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, typeof(T).Name, status, c.Message, facts, StageClock.Of(c));

    public Task Consume(ConsumeContext<RunCancelled> c) =>
        Record(c, RunStatus.Cancelled, new RunFacts(Error: $"cancelled by {c.Message.By}: {c.Message.Reason}"));

    public Task Consume(ConsumeContext<RetrainDeferred> c) =>
        Record(c, null);

    public async Task Consume(ConsumeContext<DeploymentRolledBack> c)
    {
        var m = c.Message;
        await Record(c, RunStatus.RolledBack, new RunFacts(Error: $"rolled back: {m.Reason}"));
        await models.RolledBackAsync(m);
    }

    public Task Consume(ConsumeContext<PerformanceDropped> c) =>
        Record(c, null);

    public Task Consume(ConsumeContext<RetrainRequested> c) =>
        Record(c, RunStatus.Requested,
            new RunFacts(Trigger: c.Message.Trigger.ToString(), Parent: c.Message.ParentRunId));

    public async Task Consume(ConsumeContext<DataArrived> c)
    {
        var m = c.Message;
        var manifest = m.Manifest ?? await store.TryGetJsonAsync<RunManifest>(ArtifactKeys.Manifest(m.RunId), c.CancellationToken);
        await Record(c, RunStatus.Validating, new RunFacts(
            Trigger: m.Trigger.ToString(), Parent: m.ParentRunId, DatasetSha: m.DatasetSha256, Bytes: m.Bytes,
            SpecSha: manifest?.SpecSha256, CodeVersion: manifest?.CodeVersion, Seed: manifest?.Seed));
    }

    public Task Consume(ConsumeContext<DataValidated> c) =>
        Record(c, RunStatus.Training, new RunFacts(Rows: c.Message.Rows));

    public Task Consume(ConsumeContext<DataRejected> c) =>
        Record(c, RunStatus.Rejected,
            new RunFacts(Error: string.Join(" ", c.Message.Reasons)));

    /// <summary>An approved version deploys, unless its pipeline was retired: then it waits, "approved", for a person's promotion.</summary>
    public Task Consume(ConsumeContext<ModelApproved> c) =>
        Record(c, registry.IsRetired(c.Message.Pipeline) ? RunStatus.Approved : RunStatus.Deploying);

    public Task Consume(ConsumeContext<ModelRejected> c) =>
        Record(c, RunStatus.ModelRejected,
            new RunFacts(Error: string.Join(" ", c.Message.Reasons)));

    public async Task Consume(ConsumeContext<ModelRetired> c)
    {
        await models.RetiredAsync(c.Message);
        await Record(c, RunStatus.Retired);
    }

    public async Task Consume(ConsumeContext<ModelDeployed> c)
    {
        await models.DeployedAsync(c.Message);
        await Record(c, RunStatus.Deployed);
    }

    public Task Consume(ConsumeContext<DriftDetected> c) =>
        Record(c, null);

    public Task Consume(ConsumeContext<RunFailed> c) =>
        Record(c, RunStatus.Failed,
            new RunFacts(Error: $"{c.Message.Stage}: {c.Message.Error}"));

    /// <summary>Approved, not served (retired, rolled back, or superseded): "approved" is where the run ends until a person promotes it.</summary>
    public Task Consume(ConsumeContext<DeploymentSkipped> c) =>
        Record(c, RunStatus.Approved);

    public Task Consume(ConsumeContext<DeploymentRequested> c) =>
        Record(c, null);
}

/// <summary>Queue <c>registry-run-timeline</c>: fixed here, not derived from where the class lives.</summary>
public sealed class RunTimelineConsumerDefinition() : StageConsumerDefinition<RunTimelineConsumer>("registry", "run-timeline");
