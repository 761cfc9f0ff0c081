using MassTransit;
using MassTransit.Testing;
using MlOps.Validate.Consumers;

namespace MlOps.Tests;

/// <summary>
/// Validate's consumer alone, under MassTransit's test harness (in-memory bus, a real filesystem store): what it publishes
/// for a dataset that passes and for one that breaks the suite, and what it leaves under the run.
/// </summary>
public class DataArrivedConsumerTests
{
    static async Task<(ITestHarness Harness, IArtifactStore Store, ServiceProvider Provider)> StartAsync()
    {
        var store = new FileSystemArtifactStore(TestInfra.TempDirectory());
        var provider = new ServiceCollection()
            .AddSingleton<IArtifactStore>(store)
            .AddLogging()
            .AddMassTransitTestHarness(x => x.AddConsumer<DataArrivedConsumer, DataArrivedConsumerDefinition>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (harness, store, provider);
    }

    static async Task<Guid> ArriveAsync(ITestHarness harness, IArtifactStore store, string csv, PipelineSpec spec)
    {
        var runId = Guid.NewGuid();
        await store.PutAsync(ArtifactKeys.Dataset(runId), File.OpenRead(csv), "text/csv", default);
        await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec, default);
        await harness.Bus.Publish(new DataArrived(runId, "harness", "sha", new FileInfo(csv).Length, Trigger.Upload, null));
        return runId;
    }

    [Fact]
    public async Task PublishesDataValidatedWithTheFeaturesAndKeepsTheProfileAndReport()
    {
        var (harness, store, provider) = await StartAsync();
        await using var _ = provider;
        var runId = await ArriveAsync(harness, store, TestInfra.Sample("classification.csv"), new PipelineSpec { Target = "target" });

        Assert.True(await harness.Consumed.Any<DataArrived>(x => x.Context.Message.RunId == runId));
        Assert.True(await harness.Published.Any<DataValidated>(x => x.Context.Message.RunId == runId));
        var validated = harness.Published.Select<DataValidated>().Single(x => x.Context.Message.RunId == runId).Context.Message;
        Assert.Equal("target", validated.Target);
        Assert.Equal(1000, validated.Rows);
        Assert.DoesNotContain("target", validated.Features);
        Assert.False(await harness.Published.Any<DataRejected>());
        Assert.True(await store.ExistsAsync(ArtifactKeys.Profile(runId), default));
        Assert.True(await store.ExistsAsync(ArtifactKeys.ValidationHtml(runId), default));
    }

    [Fact]
    public async Task PublishesDataRejectedWithTheReasonAndNoDataValidated()
    {
        var (harness, store, provider) = await StartAsync();
        await using var _ = provider;
        var spec = new PipelineSpec { Target = "target", Validation = new ValidationSpec { MinRows = 5000 } };
        var runId = await ArriveAsync(harness, store, TestInfra.Sample("classification.csv"), spec);

        Assert.True(await harness.Published.Any<DataRejected>(x => x.Context.Message.RunId == runId));
        var rejected = harness.Published.Select<DataRejected>().Single().Context.Message;
        Assert.Contains(rejected.Reasons, r => r.Contains("5000"));
        Assert.False(await harness.Published.Any<DataValidated>());
        Assert.True(await store.ExistsAsync(ArtifactKeys.Validation(runId), default)); // the report a person reads
        Assert.False(await store.ExistsAsync(ArtifactKeys.Profile(runId), default));
    }
}
