using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 as a whole: two replicas of every service (each its own built binary, on a virtual host of their own, one S3
/// bucket, one PostgreSQL for both registries) behind the gateway. Twenty pipelines are uploaded at once through the one
/// address; one replica of every service is SIGKILLed by its PID while they run. Every run still deploys with exactly one
/// version; the killed deploy replica, started again, and the other one, each called directly, serve every pipeline's
/// version; and a drifted batch sent through the door starts exactly one retrain.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))] // twelve processes: not beside the other heavy tests
public class ScaleOutTests
{
    static readonly string[] Services = ["ingest", "validate", "train", "registry", "deploy", "monitor"];

    [Fact]
    public async Task TwoReplicasOfEveryServiceDeployTwentyPipelinesThroughOneDoorWhileOneOfEachIsKilled()
    {
        var artifacts = TestInfra.Artifacts.Replace("Bucket=mlops-test", $"Bucket=mlops-scale-{Guid.NewGuid():N}"[..^20]);
        var registry = TestInfra.NewPostgresDatabase();
        ServiceProcess Start(string service) => ServiceProcess.OnBus(TestInfra.ScaleMessaging, service, artifacts,
            ("ConnectionStrings__registry", registry), ("Monitor__PartitionTick", "00:00:01"), ("Messaging__Retry__FirstDelay", "00:00:00.100"));
        var replicas = Services.ToDictionary(s => s, s => new List<ServiceProcess> { Start(s), Start(s) });
        ServiceProcess? gateway = null;
        try
        {
            var addresses = new Dictionary<ServiceProcess, Uri>();
            foreach (var process in replicas.Values.SelectMany(r => r)) addresses[process] = await process.AddressAsync(TimeSpan.FromSeconds(90));
            foreach (var process in replicas.Values.SelectMany(r => r))
            {
                using var probe = TestInfra.Client(addresses[process]);
                await Eventually(async () => (await probe.GetAsync("/health")).IsSuccessStatusCode);
            }
            gateway = ServiceProcess.Start("gateway", replicas.SelectMany(r => r.Value.Select((p, i) => ($"services__{r.Key}__http__{i}", addresses[p].ToString().TrimEnd('/'))))
                .ToDictionary(kv => kv.Item1, kv => kv.Item2));
            using var door = TestInfra.Client(await gateway.AddressAsync(TimeSpan.FromSeconds(60)));

            var pipelines = Enumerable.Range(1, 20).Select(i => $"scaled-{i:00}").ToList();
            foreach (var (pipeline, i) in pipelines.Select((p, i) => (p, i)))
                await PipelineCalls.PutSpecAsync(door, pipeline, "{\"target\": \"target\", \"trainer\": {\"seed\": " + (100 + i) +
                    "}, \"drift\": {\"minSamples\": 100, \"driftedShare\": 0.2}, \"retraining\": {\"minNewRows\": 0}}");
            var clock = Stopwatch.StartNew();
            var runs = await Task.WhenAll(pipelines.Select(p => PipelineCalls.UploadAsync(door, p, TestInfra.Sample("classification.csv"))));

            // One replica of every service dies mid-flight (as a node would), by its PID.
            foreach (var service in Services) replicas[service][0].Kill();

            foreach (var run in runs)
            {
                var done = await WaitThroughTheDoorAsync(door, run);
                Assert.True(done.GetProperty("run").GetProperty("status").GetString() == "deployed", done.GetProperty("run").ToString());
            }
            var deployedIn = clock.Elapsed;
            foreach (var pipeline in pipelines)
                Assert.Equal(1, (await door.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions")).GetArrayLength()); // exactly one version each

            // The killed deploy replica starts again (as Kubernetes would restart it): it and the other, each called directly,
            // serve every pipeline's version.
            var restarted = Start("deploy");
            replicas["deploy"][0] = restarted;
            addresses[restarted] = await restarted.AddressAsync(TimeSpan.FromSeconds(90));
            foreach (var process in replicas["deploy"])
            {
                using var direct = TestInfra.Client(addresses[process]);
                await Eventually(async () => (await direct.GetAsync("/v2/health/ready")).IsSuccessStatusCode);
                foreach (var pipeline in pipelines)
                    Assert.Equal("1", (await direct.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());
            }

            // A drifted batch for one pipeline (the sample moves 2 of its 10 features: driftedShare 0.2), through the door: one drift retrain, not two.
            await PipelineCalls.InferCsvAsync(door, pipelines[0], TestInfra.Sample("classification-drifted.csv"));
            async Task<int> DriftRuns() => (await door.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipelines[0]}&trigger=drift")).GetArrayLength();
            await Eventually(async () => await DriftRuns() == 1);
            await Task.Delay(5000);
            Assert.Equal(1, await DriftRuns());
            Console.WriteLine($"ScaleOutTests: 20 pipelines deployed in {deployedIn.TotalSeconds:0.0} s with one replica of each service killed");
        }
        finally
        {
            gateway?.Dispose();
            foreach (var process in replicas.Values.SelectMany(r => r)) process.Dispose();
        }
    }

    /// <summary>A run's end through the gateway; a request that meets a replica just killed is asked again.</summary>
    static async Task<JsonElement> WaitThroughTheDoorAsync(HttpClient door, Guid runId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        while (true)
        {
            var answer = await door.GetAsync($"/runs/{runId:N}", cts.Token);
            if (answer.IsSuccessStatusCode)
            {
                var run = await answer.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
                if (PipelineCalls.Terminal.Contains(run.GetProperty("run").GetProperty("status").GetString())) return run;
            }
            await Task.Delay(250, cts.Token);
        }
    }
}
