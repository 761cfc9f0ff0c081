using System.Collections.Concurrent;
using MassTransit;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 item 2, with the monitor service's own binary run twice over the real RabbitMQ and S3 endpoint: each pipeline
/// is watched by exactly one replica (its partition queue has one active consumer), the partitions end up divided evenly,
/// either replica answers for every pipeline, a drift batch starts one retrain, and when the owning replica is SIGKILLed
/// the other takes its pipelines over
/// from the store, drift cooldown included, so the next drifted window of the same episode starts no second retrain.
/// </summary>
public class MonitorReplicasTests
{
    public sealed class MonitorOutcomes(ConcurrentQueue<object> seen) : IConsumer<RetrainRequested>, IConsumer<DriftDetected>
    {
        public Task Consume(ConsumeContext<RetrainRequested> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<DriftDetected> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
    }

    [Fact]
    public async Task EachPipelineHasOneOwnerEitherReplicaAnswersAndTheOtherTakesOverWhenItDies()
    {
        var artifacts = TestInfra.Artifacts.Replace("Bucket=mlops-test", $"Bucket=mlops-monitors-{Guid.NewGuid():N}"[..^20]);
        var store = new S3ArtifactStore(artifacts);
        var random = new Random(16);
        var csv = new StringBuilder("a,b,c,label\n");
        for (var i = 0; i < 400; i++) csv.Append(CultureInfo.InvariantCulture, $"{random.NextDouble():F4},{random.NextDouble():F4},{random.NextDouble():F4},{(random.Next(2) == 0 ? "x" : "y")}\n");
        var spec = new PipelineSpec
        {
            Target = "label", Drift = new DriftSpec { MinSamples = 100, Cooldown = TimeSpan.FromHours(1) }, Retraining = new RetrainingSpec { MinNewRows = 0 },
        };
        var pipelines = Enumerable.Range(1, 6).Select(i => $"watched-{i}").ToList();
        var runs = new Dictionary<string, Guid>();
        foreach (var pipeline in pipelines)
        {
            var runId = Guid.NewGuid();
            runs[pipeline] = runId;
            await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec with { Name = pipeline }, default);
            await store.PutJsonAsync(ArtifactKeys.Profile(runId), MlOps.Validate.DatasetScan.Run(new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())), spec).ToProfile(runId), default);
        }

        var seen = new ConcurrentQueue<object>();
        using var observer = await ObserverBus.StartAsync(seen, x => x.AddConsumer<MonitorOutcomes>(),
            [.. Enumerable.Range(0, 8).Select(k => $"monitor-partition-{k}"), "monitor-predictions-served", "monitor-model-deployed", "tests-monitor-outcomes"]);
        var bus = observer.Services.GetRequiredService<IBus>();
        ServiceProcess StartMonitor() => ServiceProcess.OnIsolatedBus("monitor", artifacts, ("Monitor__PartitionTick", "00:00:01"));
        var a = StartMonitor();
        ServiceProcess? b = null;
        try
        {
            using var clientA = TestInfra.Client(await a.AddressAsync(TimeSpan.FromSeconds(60)));
            await a.WaitForLineAsync("Monitor partition 7 is this replica's", TimeSpan.FromSeconds(60)); // the first replica holds every partition
            b = StartMonitor();
            using var clientB = TestInfra.Client(await b.AddressAsync(TimeSpan.FromSeconds(60)));
            var deployedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
            foreach (var pipeline in pipelines)
                await bus.Publish(new ModelDeployed(runs[pipeline], pipeline, 1, "sha", "CPU", deployedAt));
            foreach (var pipeline in pipelines)
                foreach (var client in new[] { clientA, clientB })
                    await Eventually(async () => (await client.GetAsync($"/monitor/{pipeline}")).IsSuccessStatusCode); // either replica answers
            // The partitions end up divided: four each, every one owned by exactly one of the two.
            async Task<int[]> OwnedAsync(HttpClient client) => [.. (await client.GetFromJsonAsync<JsonElement>("/monitor")).GetProperty("owned").EnumerateArray().Select(e => e.GetInt32())];
            await Eventually(async () => (await OwnedAsync(clientA)).Length == 4 && (await OwnedAsync(clientB)).Length == 4);
            Assert.Equal(Enumerable.Range(0, 8), (await OwnedAsync(clientA)).Concat(await OwnedAsync(clientB)).Order());
            Assert.Equal(2, (await clientA.GetFromJsonAsync<JsonElement>("/monitor")).GetProperty("replicas").GetArrayLength());
            foreach (var pipeline in pipelines)
                foreach (var client in new[] { clientA, clientB })
                    await Eventually(async () => (await client.GetAsync($"/monitor/{pipeline}")).IsSuccessStatusCode); // still watched after the hand-overs

            // A drifted window for one pipeline: one drift, one retrain.
            ServedPrediction[] Drifted(int start) => [.. Enumerable.Range(start, 120).Select(i => new ServedPrediction($"p{i}", [5f + (float)random.NextDouble(), 5f, 5f], "x", DateTimeOffset.UtcNow))];
            await bus.Publish(new PredictionsServed(runs["watched-3"], "watched-3", 1, ["a", "b", "c"], Drifted(0)));
            await Eventually(() => Task.FromResult(seen.OfType<RetrainRequested>().Any()));
            Assert.Single(seen.OfType<DriftDetected>());

            // The owner of watched-3 dies: the other takes its partitions over from the store, cooldown and all.
            var owner = (await clientA.GetFromJsonAsync<JsonElement>("/monitor/watched-3")).GetProperty("owner").GetString();
            var (dead, survivor, survivorClient) = owner == a.Instance ? (a, b, clientB) : (b, a, clientA);
            Assert.Equal(owner, dead.Instance);
            dead.Kill();
            await Eventually(async () => (await OwnedAsync(survivorClient)).Length == 8);
            var status = await survivorClient.GetFromJsonAsync<JsonElement>("/monitor/watched-3");
            Assert.Equal(survivor.Instance, status.GetProperty("owner").GetString());
            Assert.Equal(runs["watched-3"], status.GetProperty("runId").GetGuid());
            Assert.NotEqual(JsonValueKind.Null, status.GetProperty("lastRetrainAt").ValueKind); // the drift cooldown came along
            await bus.Publish(new PredictionsServed(runs["watched-3"], "watched-3", 1, ["a", "b", "c"], Drifted(1000)));
            await Eventually(() => Task.FromResult(seen.OfType<DriftDetected>().Count() == 2)); // drifted again, checked by the new owner
            await Task.Delay(2000);
            Assert.Single(seen.OfType<RetrainRequested>()); // one drift episode, one retrain
            foreach (var pipeline in pipelines) Assert.True((await survivorClient.GetAsync($"/monitor/{pipeline}")).IsSuccessStatusCode);
        }
        finally
        {
            a.Dispose();
            b?.Dispose();
            await observer.StopAsync();
        }
    }
}
