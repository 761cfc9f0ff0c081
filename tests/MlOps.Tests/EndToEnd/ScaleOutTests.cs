using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 as a whole: two replicas of every service (each its own built binary, on a virtual host of their own, one S3
/// bucket, one PostgreSQL for both registries) behind the gateway. Twenty pipelines are uploaded at once through the one
/// address; one replica of every service is SIGKILLed by its PID while they run. Every run still deploys with exactly one
/// version; the killed deploy replica, started again, and the other one, each called directly, serve every pipeline's
/// version; a drifted batch sent through the door starts exactly one retrain; and a canary given traffic on both deploy
/// replicas (neither enough alone) is promoted once.
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
            // A canary on the traffic of both deploy replicas: v2 of another pipeline needs 200 canary rows to be promoted; each
            // replica, called directly, gives it about 120 (neither enough alone), and it is promoted once, on both.
            var canaryPipeline = pipelines[1];
            await PipelineCalls.PutSpecAsync(door, canaryPipeline, "{\"target\": \"target\", \"trainer\": {\"seed\": 7}, \"gate\": {\"minimum\": 0.5, \"championTolerance\": 1}, " +
                "\"rollout\": {\"canaryShare\": 0.5, \"minPredictions\": 200}, \"drift\": {\"retrainOnDrift\": false}}");
            var canaryRun = await PipelineCalls.UploadAsync(door, canaryPipeline, TestInfra.Sample("classification.csv"));
            var deploys = replicas["deploy"].Select(p => TestInfra.Client(addresses[p])).ToList();
            foreach (var client in deploys) await Eventually(async () => (await client.GetAsync($"/v2/models/{canaryPipeline}/canary")).IsSuccessStatusCode);
            var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
            var header = lines[0].Split(',');
            var rows = lines.Skip(1).Take(10).Select(l => l.Split(',')).ToList();
            var body = new
            {
                inputs = header.Select((name, i) => (name, i)).Where(x => x.name != "target").Select(x => new
                {
                    name = x.name, datatype = "FP64", shape = new[] { rows.Count },
                    data = rows.Select(r => double.Parse(r[x.i], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                }).ToArray(),
            };
            foreach (var client in deploys)
            {
                var canaryRows = 0;
                for (var request = 0; canaryRows < 120 && request < 200; request++)
                {
                    var json = await (await client.PostAsJsonAsync($"/v2/models/{canaryPipeline}/infer", body)).Content.ReadFromJsonAsync<JsonElement>();
                    if (json.GetProperty("model_version").GetString() == "2") canaryRows += rows.Count;
                }
                Assert.InRange(canaryRows, 120, 190);
            }
            foreach (var client in deploys)
                await Eventually(async () => (await client.GetFromJsonAsync<JsonElement>($"/v2/models/{canaryPipeline}")).GetProperty("versions")[0].GetString() == "2");
            Assert.Equal("deployed", (await WaitThroughTheDoorAsync(door, canaryRun)).GetProperty("run").GetProperty("status").GetString());
            await Task.Delay(3000); // a second verdict would have been logged by now
            var log = await door.GetFromJsonAsync<JsonElement>($"/models/{canaryPipeline}/log");
            Assert.Single(log.EnumerateArray(), e => e.GetProperty("kind").GetString() == "deployed" && e.GetProperty("version").GetInt32() == 2);
            foreach (var client in deploys) client.Dispose();
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
