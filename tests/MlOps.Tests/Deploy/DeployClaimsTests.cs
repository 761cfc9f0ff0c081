using System.Diagnostics.Metrics;

namespace MlOps.Tests;

/// <summary>What docs/deploy.md and docs/production.md promise about serving, each shown through the running app.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class DeployClaimsTests
{
    static string Row(int features, int rows = 1, string value = "0.5") =>
        $$"""{"inputs":[{"name":"Features","shape":[{{rows}},{{features}}],"datatype":"FP32","data":[{{string.Join(",", Enumerable.Repeat(value, rows * features))}}]}]}""";

    [Fact]
    public async Task ACanaryIsStickyPerRequestKeyReachableByItsVersionAndBoundedRequestsAndLogHold()
    {
        var settings = new Dictionary<string, string?> { ["Deploy:MaxRequestBytes"] = "8192", ["Deploy:PredictionLogCapacity"] = "16" };
        await using var mlops = await EmbeddedApp.StartAsync(settings);
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.5,"minPredictions":1000000}}
            """;
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "sticky", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "sticky", TestInfra.Sample("classification.csv")), RunTimeout);
        await PutSpec(43);
        var v2 = await PipelineCalls.UploadAsync(mlops.Client, "sticky", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deploying");
        const int Features = 10;

        async Task<(HttpStatusCode Status, string Version, string Body)> Infer(string path, string body, string? key = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (key is not null) request.Headers.Add("X-Request-Key", key);
            var response = await mlops.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("model_version").GetString()! : "", text);
        }

        // Sticky: every caller key gets one version, request after request; across keys, both versions answer.
        var byKey = new Dictionary<string, HashSet<string>>();
        for (var k = 0; k < 30; k++)
            for (var r = 0; r < 4; r++)
            {
                var (status, version, body) = await Infer("/v2/models/sticky/infer", Row(Features), $"caller-{k}");
                Assert.True(status == HttpStatusCode.OK, body);
                (byKey.TryGetValue($"caller-{k}", out var seen) ? seen : byKey[$"caller-{k}"] = []).Add(version);
            }
        Assert.All(byKey, kv => Assert.Single(kv.Value));
        Assert.Equal(["1", "2"], byKey.Values.SelectMany(v => v).Distinct().Order());

        // By version: the canary and production each answer their own path; a version that does not serve is 404.
        Assert.Equal("2", (await Infer("/v2/models/sticky/versions/2/infer", Row(Features))).Version);
        Assert.Equal("1", (await Infer("/v2/models/sticky/versions/1/infer", Row(Features))).Version);
        Assert.Equal(HttpStatusCode.NotFound, (await Infer("/v2/models/sticky/versions/7/infer", Row(Features))).Status);

        // Deploy:MaxRequestBytes: a larger body is 413 with the reason.
        var large = Row(Features, rows: 400);
        Assert.True(Encoding.UTF8.GetByteCount(large) > 8192);
        // Every time, on the same client: the refused body is read and dropped, so the client gets the 413, not a reset.
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var (tooLarge, _, why) = await Infer("/v2/models/sticky/infer", large);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);
            Assert.Contains("the limit is 8192", why);
        }

        // The prediction log's bound (16 rows here): a 100-row answer does not fit, so its rows are dropped and counted, and
        // the request is answered all the same.
        long measured = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "MlOps" && instrument.Name == "mlops.predictions.dropped") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref measured, value));
        listener.Start();
        var log = mlops.Service<MlOps.Deploy.PredictionLog>();
        var before = log.DroppedCount;
        var (batchStatus, _, batchBody) = await Infer("/v2/models/sticky/versions/1/infer", Row(Features, rows: 100, value: "1"));
        Assert.True(batchStatus == HttpStatusCode.OK, batchBody);
        Assert.Equal(100, log.DroppedCount - before);
        Assert.True(Interlocked.Read(ref measured) >= 100, $"mlops.predictions.dropped measured {measured}");
    }

    [Fact]
    public async Task HealthShowsTheExecutionProviderAndWhyAndMlopsDisableGpuIsHonoured()
    {
        await using (var mlops = await EmbeddedApp.StartAsync())
        {
            var health = await mlops.Client.GetFromJsonAsync<JsonElement>("/health");
            var provider = health.GetProperty("checks").GetProperty("execution-provider");
            Assert.Equal("Healthy", provider.GetProperty("status").GetString());
            Assert.Equal(MlOps.Scoring.ExecutionProvider.Name, provider.GetProperty("data").GetProperty("executionProvider").GetString());
            Assert.Contains(MlOps.Scoring.ExecutionProvider.Reason, provider.GetProperty("description").GetString());
            Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("deployments-restored").GetProperty("status").GetString());
        }

        // The switch is read once per process, so it is shown on deploy's own binary.
        using var deploy = ServiceProcess.Start("deploy", new() { ["MLOPS_DISABLE_GPU"] = "1", ["Artifacts__Path"] = TestInfra.TempDirectory() });
        using var client = TestInfra.Client(await deploy.AddressAsync(TimeSpan.FromSeconds(60)));
        JsonElement disabled = default;
        await Eventually(async () => (disabled = await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString() == "Healthy");
        var check = disabled.GetProperty("checks").GetProperty("execution-provider");
        Assert.Equal("cpu", check.GetProperty("data").GetProperty("executionProvider").GetString());
        Assert.Contains("GPU disabled by MLOPS_DISABLE_GPU", check.GetProperty("description").GetString());
    }

    /// <summary>
    /// docs/deploy.md's latency rule, end to end on real models: a canary of 2,000 trees of 32 leaves answers 1,000-row requests many
    /// times slower than production's single stump; once it has served its minimum (and each side 100 requests) the judge
    /// rolls it back, the run ends rolled-back with the reason, the rollback webhook hears it, and it answers no more.
    /// </summary>
    [Fact]
    public async Task ASlowCanaryIsRolledBackOnLatencyAndTheRollbackWebhookHearsIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?>([WebhookReceiver.Allowed]));
        const string spec = """
            {"target":"target","trainer":{"hyperparameters":TREES},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.3,"minPredictions":100000},"drift":{"retrainOnDrift":false,"minSamples":50000},"alerts":{"webhooks":["URL"],"on":["rollback"]}}
            """;
        Task PutSpec(string trees) => PipelineCalls.PutSpecAsync(mlops.Client, "slow", spec.Replace("TREES", trees).Replace("URL", receiver.Url));
        await PutSpec("""{"numberOfTrees":1,"numberOfLeaves":2}""");
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "slow", TestInfra.Sample("classification.csv")), RunTimeout, "deployed");
        await PutSpec("""{"numberOfTrees":2000,"numberOfLeaves":32,"minimumExampleCountPerLeaf":2}""");
        var canaryRun = await PipelineCalls.UploadAsync(mlops.Client, "slow", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, canaryRun, RunTimeout, "deploying");

        var body = Row(10, rows: 1000);
        var answeredBy = new Dictionary<string, int> { ["1"] = 0, ["2"] = 0 };
        JsonElement run = default;
        for (var request = 0; request < 5000; request++)
        {
            var response = await mlops.Client.PostAsync("/v2/models/slow/infer", new StringContent(body, Encoding.UTF8, "application/json"));
            var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, answer.ToString());
            answeredBy[answer.GetProperty("model_version").GetString()!]++;
            if (request % 50 == 49 && (run = await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{canaryRun:N}")).GetProperty("run").GetProperty("status").GetString() != "deploying") break;
        }
        Assert.True(answeredBy["2"] >= 100, $"the canary answered {answeredBy["2"]} requests");
        run = await PipelineCalls.WaitForRunAsync(mlops.Client, canaryRun, RunTimeout, "rolled-back");
        var rolledBack = run.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "DeploymentRolledBack").GetProperty("detail");
        Assert.Contains("mean latency", rolledBack.GetProperty("reason").GetString());

        await Eventually(() => Task.FromResult(receiver.OfKind("rollback").Count > 0));
        var alert = Assert.Single(receiver.OfKind("rollback"));
        Assert.Equal(canaryRun, alert.GetProperty("runId").GetGuid());
        Assert.Equal("slow", alert.GetProperty("pipeline").GetString());
        Assert.Contains("latency", alert.GetProperty("summary").GetString());

        // It answers no more: every request is production's, and its own path is gone.
        for (var i = 0; i < 20; i++)
            Assert.Equal("1", JsonDocument.Parse(await (await mlops.Client.PostAsync("/v2/models/slow/infer", new StringContent(Row(10), Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())
                .RootElement.GetProperty("model_version").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.PostAsync("/v2/models/slow/versions/2/infer", new StringContent(Row(10), Encoding.UTF8, "application/json"))).StatusCode);
    }

    /// <summary>
    /// docs/registry.md: retiring leaves requests already running to finish (the session is disposed after a grace). Four
    /// callers score 1,000-row batches without pause while the model is retired: every answer is 200 (scored) or 404 (retired),
    /// never a 500 from a session disposed under a running request, and once 404 it stays 404.
    /// </summary>
    [Fact]
    public async Task RetiringWhileRequestsRunLetsThemFinish()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await PipelineCalls.PutSpecAsync(mlops.Client, "leaving", """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5},"drift":{"minSamples":100000}}""");
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "leaving", TestInfra.Sample("classification.csv")), RunTimeout, "deployed");
        var body = Row(10, rows: 1000);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(int Caller, int Sequence, HttpStatusCode Status, string Body)>();
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 4).Select(caller => Task.Run(async () =>
        {
            for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                var response = await mlops.Client.PostAsync("/v2/models/leaving/infer", new StringContent(body, Encoding.UTF8, "application/json"));
                statuses.Add((caller, sequence, response.StatusCode, response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync()));
            }
        })).ToList();
        await Eventually(() => Task.FromResult(statuses.Count >= 20));
        var retire = await mlops.Client.PostAsJsonAsync("/models/leaving/retire", new { reason = "replaced by a rules engine", by = "test" });
        Assert.Equal(HttpStatusCode.Accepted, retire.StatusCode);
        await Eventually(() => Task.FromResult(Enumerable.Range(0, 4).All(c => statuses.Any(s => s.Caller == c && s.Status == HttpStatusCode.NotFound))));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        Assert.All(statuses, s => Assert.True(s.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{(int)s.Status}: {s.Body}"));
        foreach (var caller in statuses.GroupBy(s => s.Caller))
        {
            var ordered = caller.OrderBy(s => s.Sequence).Select(s => s.Status).ToList();
            var firstGone = ordered.IndexOf(HttpStatusCode.NotFound);
            Assert.All(ordered[firstGone..], s => Assert.Equal(HttpStatusCode.NotFound, s)); // retired stays retired
        }
    }
}
