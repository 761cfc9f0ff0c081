using System.Collections.Concurrent;
using MassTransit;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 item 1, with the deploy service's own binary run twice over the real RabbitMQ and S3 endpoint: every replica
/// serves every approved version whichever one consumed the approval, a canary is judged once on the traffic of both
/// together (each alone stays below its minimum), a retirement reaches both, and a replica killed and started again serves
/// what the others serve before it reports ready.
/// </summary>
public class DeployReplicasTests
{
    public sealed class DeployOutcomes(ConcurrentQueue<object> seen) : IConsumer<ModelDeployed>, IConsumer<DeploymentRolledBack>, IConsumer<ModelRetired>
    {
        public Task Consume(ConsumeContext<ModelDeployed> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<DeploymentRolledBack> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
        public Task Consume(ConsumeContext<ModelRetired> context) { seen.Enqueue(context.Message); return Task.CompletedTask; }
    }

    const string Pipeline = "replicated";

    [Fact]
    public async Task EveryReplicaServesEveryChangeAndACanaryIsJudgedOnceOnBothReplicasTraffic()
    {
        var artifacts = TestInfra.Artifacts.Replace("Bucket=mlops-test", $"Bucket=mlops-replicas-{Guid.NewGuid():N}"[..^20]);
        var store = new S3ArtifactStore(artifacts);
        var csv = File.ReadAllText(TestInfra.Sample("classification.csv"));
        async Task<(Guid RunId, string Sha)> StoreRunAsync(int seed, RolloutSpec rollout)
        {
            var spec = new PipelineSpec { Name = Pipeline, Target = "target", Trainer = new TrainerSpec { Seed = seed }, Rollout = rollout };
            var model = TrainingTests.Train(spec, csv);
            var runId = model.Card.RunId;
            await store.PutJsonAsync(ArtifactKeys.Spec(runId), spec, default);
            await store.PutJsonAsync(ArtifactKeys.ModelCard(runId), model.Card with { HoldoutKey = ArtifactKeys.Holdout(runId) }, default);
            await store.PutAsync(ArtifactKeys.Onnx(runId), new MemoryStream(model.Onnx), "application/octet-stream", default);
            await store.PutAsync(ArtifactKeys.Holdout(runId), new MemoryStream(model.HoldoutCsv), "text/csv", default);
            await store.PutAsync(ArtifactKeys.HoldoutPredictions(runId), new MemoryStream(model.PredictionsCsv), "text/csv", default);
            return (runId, model.Card.ModelSha256);
        }
        var v1 = await StoreRunAsync(1, new RolloutSpec());
        var v2 = await StoreRunAsync(2, new RolloutSpec());
        var v3 = await StoreRunAsync(3, new RolloutSpec { CanaryShare = 0.5, MinPredictions = 200 });

        var seen = new ConcurrentQueue<object>();
        using var observer = await ObserverBus.StartAsync(seen, x => x.AddConsumer<DeployOutcomes>(),
            "deploy-model-approved", "deploy-rollout-counted", "deploy-retirement-requested", "tests-deploy-outcomes");
        var bus = observer.Services.GetRequiredService<IBus>();
        ServiceProcess StartDeploy() => ServiceProcess.OnIsolatedBus("deploy", artifacts, ("Deploy__ReconcileEvery", "00:10:00"));
        var a = StartDeploy();
        var b = StartDeploy();
        try
        {
            using var clientA = TestInfra.Client(await a.AddressAsync(TimeSpan.FromSeconds(60)));
            var clientB = TestInfra.Client(await b.AddressAsync(TimeSpan.FromSeconds(60)));
            HttpClient[] both = [clientA, clientB];
            async Task<string?> ServingAsync(HttpClient client)
            {
                var answer = await client.GetAsync($"/v2/models/{Pipeline}");
                return answer.IsSuccessStatusCode ? (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("versions")[0].GetString() : null;
            }
            async Task BothServeAsync(string? version)
            {
                foreach (var client in both) await Eventually(async () => await ServingAsync(client) == version);
            }
            foreach (var client in both) await Eventually(async () => (await client.GetAsync("/v2/health/ready")).IsSuccessStatusCode);

            // Each approval is consumed by one replica (competing consumers); both serve it, and it is announced once.
            await bus.Publish(new ModelApproved(v1.RunId, Pipeline, 1, v1.Sha, ["test"]));
            await BothServeAsync("1");
            await bus.Publish(new ModelApproved(v2.RunId, Pipeline, 2, v2.Sha, ["test"]));
            await BothServeAsync("2");
            await Eventually(() => Task.FromResult(seen.OfType<ModelDeployed>().Count(d => d.Version == 2) == 1));
            Assert.Single(seen.OfType<ModelDeployed>(), d => d.Version == 1);

            // A replica killed and started again serves v2 before it says it is ready.
            b.Kill();
            b.Dispose();
            b = StartDeploy();
            clientB = TestInfra.Client(await b.AddressAsync(TimeSpan.FromSeconds(60)));
            both = [clientA, clientB];
            await Eventually(async () => (await clientB.GetAsync("/v2/health/ready")).IsSuccessStatusCode);
            Assert.Equal("2", await ServingAsync(clientB));

            // v3 as a canary on both; 200 predictions to promote. Each replica's canary answers about 120: neither reaches 200
            // alone, together they do, and the judge promotes once.
            await bus.Publish(new ModelApproved(v3.RunId, Pipeline, 3, v3.Sha, ["test"]));
            foreach (var client in both) await Eventually(async () => (await client.GetAsync($"/v2/models/{Pipeline}/canary")).IsSuccessStatusCode);
            var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(10).Select(l => l.Split(',')).ToList();
            var header = csv[..csv.IndexOf('\n')].Split(',');
            var body = new
            {
                inputs = header.Select((name, i) => (name, i)).Where(x => x.name != "target")
                    .Select(x => new { name = x.name, datatype = "FP64", shape = new[] { rows.Count }, data = rows.Select(r => double.Parse(r[x.i], CultureInfo.InvariantCulture)).ToArray() }).ToArray(),
            };
            var canaryRows = new Dictionary<HttpClient, int> { [clientA] = 0, [clientB] = 0 };
            foreach (var client in both)
            {
                for (var request = 0; canaryRows[client] < 120 && request < 200; request++)
                {
                    var answer = await client.PostAsJsonAsync($"/v2/models/{Pipeline}/infer", body);
                    var json = await answer.Content.ReadFromJsonAsync<JsonElement>();
                    Assert.True(answer.IsSuccessStatusCode, json.ToString());
                    if (json.GetProperty("model_version").GetString() == "3") canaryRows[client] += rows.Count;
                }
                Assert.InRange(canaryRows[client], 120, 190);
            }
            await BothServeAsync("3");
            foreach (var client in both) Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v2/models/{Pipeline}/canary")).StatusCode);
            await Task.Delay(3000); // any second verdict would have been announced by now
            Assert.Single(seen.OfType<ModelDeployed>(), d => d.Version == 3);
            Assert.Empty(seen.OfType<DeploymentRolledBack>());

            // A retirement asked of one replica reaches both.
            await bus.Publish(new RetirementRequested(v3.RunId, Pipeline, 3, "test retirement", "test"));
            await BothServeAsync(null);
            // The replicas stop serving on DeploymentChanged, which may arrive before ModelRetired reaches this observer.
            await Eventually(() => Task.FromResult(seen.OfType<ModelRetired>().Any()));
            await Task.Delay(1000); // a second announcement would have arrived by now
            Assert.Single(seen.OfType<ModelRetired>());
        }
        finally
        {
            a.Kill();
            b.Kill();
            a.Dispose();
            b.Dispose();
            await observer.StopAsync();
        }
    }
}
