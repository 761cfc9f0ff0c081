using MassTransit;
using MlOps.Contracts;

namespace MlOps.Registry.Consumers;

/// <summary>Writes every other pipeline event into its run's timeline, and moves the champion alias when a version goes live.</summary>
public sealed class RunTimelineConsumer(RegistryStore registry) :
    IConsumer<RetrainRequested>, IConsumer<DataArrived>, IConsumer<DataValidated>, IConsumer<DataRejected>,
    IConsumer<ModelApproved>, IConsumer<ModelRejected>, IConsumer<ModelDeployed>, IConsumer<DriftDetected>, IConsumer<RunFailed>
{
    public Task Consume(ConsumeContext<RetrainRequested> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(RetrainRequested), "requested", c.Message,
            trigger: c.Message.Trigger.ToString(), parent: c.Message.ParentRunId);

    public Task Consume(ConsumeContext<DataArrived> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DataArrived), "validating", c.Message,
            trigger: c.Message.Trigger.ToString(), parent: c.Message.ParentRunId, datasetSha: c.Message.DatasetSha256);

    public Task Consume(ConsumeContext<DataValidated> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DataValidated), "training", c.Message);

    public Task Consume(ConsumeContext<DataRejected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DataRejected), "rejected", c.Message,
            error: string.Join(" ", c.Message.Reasons));

    public Task Consume(ConsumeContext<ModelApproved> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(ModelApproved), "deploying", c.Message);

    public Task Consume(ConsumeContext<ModelRejected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(ModelRejected), "model-rejected", c.Message,
            error: string.Join(" ", c.Message.Reasons));

    public async Task Consume(ConsumeContext<ModelDeployed> c)
    {
        await registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(ModelDeployed), "deployed", c.Message);
        await registry.SetAliasAsync(c.Message.Pipeline, "champion", c.Message.Version);
    }

    public Task Consume(ConsumeContext<DriftDetected> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(DriftDetected), null, c.Message);

    public Task Consume(ConsumeContext<RunFailed> c) =>
        registry.RecordAsync(c.Message.RunId, c.Message.Pipeline, nameof(RunFailed), "failed", c.Message,
            error: $"{c.Message.Stage}: {c.Message.Error}");
}
