using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Train;

namespace MlOps.Tests;

/// <summary>
/// Kill and resume with a real broker: the train service runs as its own process, is killed (SIGKILL) in the middle of
/// training, and started again; RabbitMQ redelivers the unacknowledged DataValidated and the run is trained exactly once.
/// </summary>
public class TrainResumeTests
{
    [Fact]
    public async Task ATrainServiceKilledMidRunFinishesItOnceAfterRestartAndShowsNoHalfWrittenModel()
    {
        var artifacts = Path.Combine(TestInfra.TempDirectory(), "artifacts");
        var store = new FileSystemArtifactStore(artifacts);
        var runId = Guid.NewGuid();
        const string pipeline = "resume";
        var spec = new PipelineSpec
        {
            Name = pipeline, Target = "label",
            Trainer = new TrainerSpec { Name = "FastTree", Hyperparameters = new() { ["numberOfTrees"] = 300, ["numberOfLeaves"] = 63 } },
        };
        await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec, default);
        var dataset = Encoding.UTF8.GetBytes(Dataset(120_000));
        await store.PutAsync(ArtifactKeys.Dataset(runId), new MemoryStream(dataset), "text/csv", default);
        await store.PutJsonAsync(ArtifactKeys.Manifest(runId), new RunManifest(runId, pipeline, Trigger.Upload, null, null, ArtifactKeys.Dataset(runId),
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(dataset)), dataset.Length, "test-spec", 42, "test", DateTimeOffset.UtcNow), default);
        var features = Enumerable.Range(0, 10).Select(i => $"f{i}").ToList();

        var seen = new ConcurrentQueue<object>();
        using var observer = await StartObserverAsync(seen);
        var received = new ReceiveEnded();
        using var observing = observer.Services.GetRequiredService<IBus>().ConnectReceiveObserver(received);
        ServiceProcess StartTrain() => ServiceProcess.Start("train", new() { ["ConnectionStrings__messaging"] = TestInfra.IsolatedMessaging, ["Artifacts__Path"] = artifacts });
        using var first = StartTrain();
        try
        {
            await first.WaitForLineAsync("Now listening", TimeSpan.FromSeconds(60));
            await observer.Services.GetRequiredService<IBus>().Publish(new DataValidated(runId, pipeline, 120_000, features, "label", []));
            await first.WaitForLineAsync($"Run {runId}: training FastTree", TimeSpan.FromSeconds(60));
            await Task.Delay(1500);
            Assert.False(first.HasExited, "training ended before the kill: make the test's training longer");
            first.Kill();
        }
        finally
        {
            first.Kill();
        }
        Assert.False(await store.ExistsAsync(ArtifactKeys.ModelCard(runId), default), "a killed run left a model card, so it would look complete");
        Assert.Empty(seen.OfType<ModelTrained>());

        using var second = StartTrain();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            while (!seen.OfType<ModelTrained>().Any(m => m.RunId == runId)) await Task.Delay(100, cts.Token);
            // The positive signal that nothing more will come: the service stops gracefully (finishing what it consumes), its
            // queue then holds nothing to redeliver, and every ModelTrained it published has been received here.
            await second.StopAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0u, await RabbitQueues.CountAsync(TestInfra.IsolatedMessaging, "train-data-validated"));
            while (await RabbitQueues.CountAsync(TestInfra.IsolatedMessaging, RecorderQueue) > 0 || received.InFlight > 0) await Task.Delay(50, cts.Token);
        }
        finally
        {
            second.Kill();
        }
        var trained = Assert.Single(seen.OfType<ModelTrained>(), m => m.RunId == runId);
        Assert.DoesNotContain(seen.OfType<RunFailed>(), f => f.RunId == runId);
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), default);
        Assert.Equal(trained.ModelSha256, card.ModelSha256);
        await using var zip = await store.OpenReadAsync(ArtifactKeys.Model(runId), default);
        using var bytes = new MemoryStream();
        await zip.CopyToAsync(bytes);
        Assert.Equal(card.ModelSha256, ModelTrainer.ContentHash(bytes.ToArray())); // the stored model is whole and is the one described
        Assert.True(second.Output.Contains($"Run {runId}: training FastTree"), "the restarted service trained the redelivered run");
    }

    static string Dataset(int rows)
    {
        var random = new Random(3);
        var csv = new StringBuilder("f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,label\n");
        for (var i = 0; i < rows; i++)
        {
            var x = Enumerable.Range(0, 10).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            var label = x[0] + x[1] * x[2] - x[3] + random.NextDouble() * 0.5 > 0 ? 1 : 0;
            csv.Append(string.Join(',', x.Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))).Append(',').Append(label).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>The observer's queue (its consumer lives in namespace MlOps.Tests).</summary>
    const string RecorderQueue = "tests-train-outcome-recorder";

    /// <summary>A bus in the test process that records what the train service publishes.</summary>
    static Task<IHost> StartObserverAsync(ConcurrentQueue<object> seen) => ObserverBus.StartAsync(seen, x => x.AddConsumer<TrainOutcomeRecorder>());

}

public sealed class TrainOutcomeRecorder(ConcurrentQueue<object> seen) : IConsumer<ModelTrained>, IConsumer<RunFailed>
{
    public Task Consume(ConsumeContext<ModelTrained> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
    public Task Consume(ConsumeContext<RunFailed> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
}
