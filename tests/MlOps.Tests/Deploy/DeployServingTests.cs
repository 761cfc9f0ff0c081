namespace MlOps.Tests;

/// <summary>Deploy in the running embedded app: the V2 endpoints, hot swaps, canaries, shadows, retirement and many models at once.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class DeployServingTests
{
    [Fact]
    public async Task TheV2EndpointsAnswerTheProtocolsRequestsAndAHotSwapUnderLoadLosesNoRequest()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        // The load repeats one row tens of thousands of times: that is drift, and a drift retrain would swap in a third
        // version in the middle of the test. This test is about the swap, so drift only reports here.
        const string spec = """{"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"drift":{"retrainOnDrift":false}}""";
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "swap", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "swap", TestInfra.Sample("classification.csv")), RunTimeout);

        var server = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2");
        Assert.Equal("mlops-deploy", server.GetProperty("name").GetString());
        Assert.True(server.TryGetProperty("extensions", out _));
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/v2/health/ready")).StatusCode);
        var metadata = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/swap/versions/1");
        Assert.Equal("swap", metadata.GetProperty("name").GetString());
        Assert.Equal(10, metadata.GetProperty("inputs").GetArrayLength());
        Assert.Equal("label", metadata.GetProperty("outputs")[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/v2/models/swap/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/v2/models/swap/versions/1/ready")).StatusCode);
        var missing = await mlops.Client.GetAsync("/v2/models/swap/versions/9/ready");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True(JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out _));

        // The protocol's request shape: an id, named inputs, nested row-major data; the answer echoes the id.
        const string request = """
            {"id":"42","inputs":[{"name":"Features","shape":[2,10],"datatype":"FP32",
              "data":[[1.1251,1.17812,0.493516,0.79088,-0.614278,1.34702,1.41952,1.35732,0.966041,-1.98114],
                      [-0.564641,3.63863,-1.52241,-1.5417,1.6167,4.78131,3.19029,-0.890254,1.43883,-3.82875]]}]}
            """;
        var answer = JsonDocument.Parse(await (await mlops.Client.PostAsync("/v2/models/swap/infer", new StringContent(request, Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("42", answer.GetProperty("id").GetString());
        Assert.Equal("swap", answer.GetProperty("model_name").GetString());
        var output = answer.GetProperty("outputs")[0];
        Assert.Equal([2], output.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        Assert.Equal(["1", "0"], output.GetProperty("data").EnumerateArray().Select(x => x.GetString()));

        // Four clients keep scoring while a new version is trained and swapped in: every request is answered.
        var failures = 0;
        var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await mlops.Client.PostAsync("/v2/models/swap/infer", new StringContent(request, Encoding.UTF8, "application/json"));
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                else versions.AddOrUpdate(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("model_version").GetString()!, 1, (_, n) => n + 1);
                await Task.Delay(2); // steady load, leaving the two cores room to train the next version
            }
        })).ToList();
        try
        {
            await PutSpec(43);
            var second = await PipelineCalls.UploadAsync(mlops.Client, "swap", TestInfra.Sample("classification.csv"));
            Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, second, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
            await Eventually(() => Task.FromResult(versions.ContainsKey("2") && versions["2"] > 20));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load);
        }
        Assert.Equal(0, failures);
        Assert.True(versions["1"] > 0 && versions["2"] > 0);
    }

    [Fact]
    public async Task ACanaryWhoseFeedbackShowsADropIsRolledBackAndAnswersNothingAfter()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.5,"minPredictions":1000000},"performance":{"tolerance":0.05,"window":60,"minFeedback":30}}
            """;
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "canary", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        var v1 = await PipelineCalls.UploadAsync(mlops.Client, "canary", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, v1, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
        await PutSpec(43);
        var v2 = await PipelineCalls.UploadAsync(mlops.Client, "canary", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deploying");

        // Half the requests (by chance) are answered by the canary, v2.
        var served = new List<(string Id, string Label, string Version)>();
        await Eventually(async () =>
        {
            foreach (var answer in await PipelineCalls.InferCsvAsync(mlops.Client, "canary", TestInfra.Sample("classification.csv"), batch: 10))
            {
                var version = answer.GetProperty("model_version").GetString()!;
                var ids = answer.GetProperty("parameters").GetProperty("prediction_ids").EnumerateArray().Select(x => x.GetString()!).ToList();
                var labels = answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString()!).ToList();
                served.AddRange(ids.Zip(labels, (id, label) => (id, label, version)));
            }
            return served.Count(s => s.Version == "2") >= 60 && served.Any(s => s.Version == "1");
        });

        // Ground truth says the canary is always wrong: live accuracy collapses, and the canary is rolled back.
        var wrong = served.Where(s => s.Version == "2").Take(60).Select(s => new { predictionId = s.Id, label = s.Label == "1" ? "0" : "1" }).ToArray();
        await Eventually(async () => (await mlops.Client.PostAsJsonAsync("/monitor/canary/feedback", new { predictionId = wrong[0].predictionId, label = wrong[0].label })).StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PostAsJsonAsync("/monitor/canary/feedback", new { items = wrong.Skip(1).ToArray() })).StatusCode);
        var rolledBack = await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "rolled-back");
        Assert.Contains(rolledBack.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "DeploymentRolledBack");

        // From the rollback on, every request is answered by v1; and a canary's drop starts no retrain.
        var after = await PipelineCalls.InferCsvAsync(mlops.Client, "canary", TestInfra.Sample("classification.csv"), batch: 10);
        Assert.All(after, a => Assert.Equal("1", a.GetProperty("model_version").GetString()));
        Assert.Equal(0, (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=canary&trigger=performance")).GetArrayLength());
        Assert.Equal(1, (await mlops.Client.GetFromJsonAsync<JsonElement>("/models/canary/aliases/champion")).GetProperty("version").GetInt32());

        // A redelivered approval of v2 does not start the rolled-back canary again.
        var version2 = rolledBack.GetProperty("version");
        await mlops.Service<MassTransit.IBus>().Publish(new MlOps.Contracts.ModelApproved(v2, "canary", 2, version2.GetProperty("modelSha256").GetString()!, ["redelivered"]));
        var skipped = await PipelineCalls.WaitForSkippedDeploymentAsync(mlops.Client, v2);
        Assert.Contains("v2 was rolled back", skipped[0].GetProperty("detail").GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/canary/versions/2/ready")).StatusCode);
    }

    [Fact]
    public async Task ACanaryAndAShadowAreStartedAgainWhenDeployRestarts()
    {
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},ROLLOUT}
            """;
        var mlops = await EmbeddedApp.StartAsync();
        try
        {
            async Task Run(string pipeline, int seed, string rollout, string status)
            {
                Assert.True((await mlops.Client.PutAsync($"/pipelines/{pipeline}", new StringContent(
                    spec.Replace("SEED", seed.ToString()).Replace("ROLLOUT", rollout), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
                await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, pipeline, TestInfra.Sample("classification.csv")), RunTimeout, status);
            }
            const string canary = "\"rollout\":{\"canaryShare\":0.5,\"minPredictions\":1000000}";
            const string shadow = "\"rollout\":{\"shadow\":true}";
            await Run("restart-canary", 42, canary, "deployed");
            await Run("restart-canary", 43, canary, "deploying");
            await Run("restart-shadow", 42, shadow, "deployed");
            await Run("restart-shadow", 43, shadow, "deploying");
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/restart-canary/versions/2/ready")).IsSuccessStatusCode);
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/restart-shadow/shadow")).IsSuccessStatusCode);
            // The canary answers its share of some requests before the restart: its count and start survive it.
            await PipelineCalls.InferCsvAsync(mlops.Client, "restart-canary", TestInfra.Sample("classification.csv"), batch: 10);
            var before = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-canary/canary");
            Assert.Equal("2", before.GetProperty("version").GetString());
            Assert.InRange(before.GetProperty("served").GetInt64(), 1, 999);
            Assert.Equal(1000000, before.GetProperty("minPredictions").GetInt64());
            await PipelineCalls.InferCsvAsync(mlops.Client, "restart-shadow", TestInfra.Sample("classification.csv"), batch: 100);
            await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-shadow/shadow")).GetProperty("compared").GetInt64() == 1000);
            var shadowBefore = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-shadow/shadow");

            mlops = await mlops.RestartAsync();

            // Monitor watches the served versions again without waiting for a deployment (drift, schedules, volume).
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/restart-canary")).IsSuccessStatusCode);
            Assert.Equal(1, (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/restart-shadow")).GetProperty("version").GetInt32());
            // Production, the canary beside it (still judged: it takes its share of requests) and the shadow, all back.
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/restart-canary/versions/2/ready")).IsSuccessStatusCode);
            Assert.Equal("1", (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-canary/versions/1/ready")).GetProperty("version").GetString());
            var after = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-canary/canary");
            Assert.Equal(before.GetProperty("served").GetInt64(), after.GetProperty("served").GetInt64()); // counted on, not from zero
            Assert.Equal(before.GetProperty("started").GetDateTimeOffset(), after.GetProperty("started").GetDateTimeOffset());
            var answers = await PipelineCalls.InferCsvAsync(mlops.Client, "restart-canary", TestInfra.Sample("classification.csv"), batch: 10);
            Assert.Contains(answers, a => a.GetProperty("model_version").GetString() == "2");
            Assert.Contains(answers, a => a.GetProperty("model_version").GetString() == "1");
            Assert.True((await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-canary/canary")).GetProperty("served").GetInt64() > after.GetProperty("served").GetInt64());
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/restart-shadow/canary")).StatusCode);
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/restart-shadow/shadow")).IsSuccessStatusCode);
            var shadowAfter = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/restart-shadow/shadow");
            Assert.Equal("2", shadowAfter.GetProperty("version").GetString());
            Assert.Equal(1000, shadowAfter.GetProperty("compared").GetInt64()); // counted on across the restart
            Assert.Equal(shadowBefore.GetProperty("agreed").GetInt64(), shadowAfter.GetProperty("agreed").GetInt64());
            Assert.All(await PipelineCalls.InferCsvAsync(mlops.Client, "restart-shadow", TestInfra.Sample("classification.csv"), batch: 50),
                a => Assert.Equal("1", a.GetProperty("model_version").GetString()));
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }

    [Fact]
    public async Task ACanaryIsJudgedAfterItsMinimumDurationEvenWithFewPredictions()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mlops = await EmbeddedApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.5,"minPredictions":1000000,"minDuration":"00:30:00"}}
            """;
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "timed", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv")), RunTimeout);
        await PutSpec(43);
        var v2 = await PipelineCalls.UploadAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deploying");
        await PipelineCalls.InferCsvAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv"), batch: 50);
        // The judge looked at the canary twice since (a pass after every request was counted), and it still waits for its time.
        var served = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/timed/canary");
        Assert.True(served.GetProperty("served").GetInt64() > 0);
        JsonElement looked = default;
        await Eventually(async () => (looked = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/timed/canary")).GetProperty("checks").GetInt64()
            >= served.GetProperty("checks").GetInt64() + 2);
        Assert.Contains("of 1,000,000 predictions, or ", looked.GetProperty("waitingFor").GetString());
        Assert.Equal("deploying", (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{v2:N}")).GetProperty("run").GetProperty("status").GetString());
        clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deployed")).GetProperty("run").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AShadowScoresEveryRequestAndAnswersNoneUntilPromoted()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"rollout":{"shadow":true}}
            """;
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "shadowed", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "shadowed", TestInfra.Sample("classification.csv")), RunTimeout);
        await PutSpec(43);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "shadowed", TestInfra.Sample("classification.csv")), RunTimeout, "deploying");
        await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/shadowed/shadow")).IsSuccessStatusCode);

        var answers = await PipelineCalls.InferCsvAsync(mlops.Client, "shadowed", TestInfra.Sample("classification.csv"), batch: 50);
        Assert.All(answers, a => Assert.Equal("1", a.GetProperty("model_version").GetString())); // never answered by the shadow
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/shadowed/shadow")).GetProperty("compared").GetInt64() == 1000);
        var shadow = await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/shadowed/shadow");
        Assert.Equal("2", shadow.GetProperty("version").GetString());
        Assert.True(shadow.GetProperty("agreement").GetDouble() > 0.8, shadow.ToString());

        // Promoted by moving the champion alias: v2 answers, and the shadow is gone.
        var move = await mlops.Client.PutAsJsonAsync("/models/shadowed/aliases/champion", new { version = 2, reason = "agrees with v1 on 1,000 live rows" });
        Assert.Equal(HttpStatusCode.Accepted, move.StatusCode);
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/shadowed")).GetProperty("versions")[0].GetString() == "2");
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/shadowed/shadow")).StatusCode);
    }

    [Fact]
    public async Task ACanaryThatServesItsPredictionsWithoutADropIsPromoted()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.3,"minPredictions":200}}
            """;
        Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "promoted", spec.Replace("SEED", seed.ToString()));
        await PutSpec(42);
        var v1 = await PipelineCalls.UploadAsync(mlops.Client, "promoted", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v1, RunTimeout);
        await PutSpec(43);
        var v2 = await PipelineCalls.UploadAsync(mlops.Client, "promoted", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deploying");
        Assert.Equal(1, (await mlops.Client.GetFromJsonAsync<JsonElement>("/models/promoted/aliases/champion")).GetProperty("version").GetInt32());

        // Traffic until the canary has answered its 200 predictions; then it is promoted, and answers everything.
        await Eventually(async () =>
        {
            await PipelineCalls.InferCsvAsync(mlops.Client, "promoted", TestInfra.Sample("classification.csv"), batch: 20);
            return (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{v2:N}")).GetProperty("run").GetProperty("status").GetString() == "deployed";
        });
        // The run is recorded deployed first, then the champion alias moves (the same event, two writes).
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/models/promoted/aliases/champion")).GetProperty("version").GetInt32() == 2);
        var after = await PipelineCalls.InferCsvAsync(mlops.Client, "promoted", TestInfra.Sample("classification.csv"), batch: 50);
        Assert.All(after, a => Assert.Equal("2", a.GetProperty("model_version").GetString()));
    }

    [Fact]
    public async Task ARetiredModelIsUnloadedAndStaysRetiredAcrossApprovalsAndRestartsUntilAPersonPromotesAVersion()
    {
        const string spec = """{"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1}}""";
        var mlops = await EmbeddedApp.StartAsync();
        try
        {
            Task PutSpec(int seed) => PipelineCalls.PutSpecAsync(mlops.Client, "retiring", spec.Replace("SEED", seed.ToString()));
            await PutSpec(42);
            await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "retiring", TestInfra.Sample("classification.csv")), RunTimeout, "deployed");
            Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/v2/models/retiring/ready")).StatusCode);
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/retiring")).IsSuccessStatusCode);

            Assert.Equal(HttpStatusCode.BadRequest, (await mlops.Client.PostAsJsonAsync("/models/retiring/retire", new { reason = " " })).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.PostAsJsonAsync("/models/never-served/retire", new { reason = "cleanup" })).StatusCode);
            var retire = await mlops.Client.PostAsJsonAsync("/models/retiring/retire", new { reason = "product withdrawn", by = "oncall" });
            Assert.Equal(HttpStatusCode.Accepted, retire.StatusCode);

            // Unloaded: readiness, metadata and infer say it was retired, by whom, and what brings it back.
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/retiring/ready")).StatusCode == HttpStatusCode.NotFound);
            var infer = await mlops.Client.PostAsJsonAsync("/v2/models/retiring/infer", new { inputs = Array.Empty<object>() });
            Assert.Equal(HttpStatusCode.NotFound, infer.StatusCode);
            var error = (await infer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;
            Assert.Contains("was retired", error);
            Assert.Contains("oncall", error);
            Assert.Contains("aliases/champion", error);
            await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement[]>("/models/retiring/log"))!.Any(e => e.GetProperty("kind").GetString() == "retired"));
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/retiring")).StatusCode == HttpStatusCode.NotFound); // no schedule, drift or volume retrains
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/models/retiring/aliases/champion")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync($"/models/retiring/served?at={DateTimeOffset.UtcNow.AddSeconds(1):O}".Replace("+", "%2B"))).StatusCode);

            // A new version passes the gate, but a retired pipeline is not served again by an approval.
            await PutSpec(43);
            var v2 = await PipelineCalls.UploadAsync(mlops.Client, "retiring", TestInfra.Sample("classification.csv"));
            var approved = await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "approved");
            // The gate says why it compared with no champion: the pipeline was retired, and who retired it.
            Assert.Contains(approved.GetProperty("version").GetProperty("reasons").EnumerateArray(),
                r => r.GetString()!.Contains("the pipeline was retired (v1") && r.GetString()!.Contains("person promotes it"));
            var skipped = await PipelineCalls.WaitForSkippedDeploymentAsync(mlops.Client, v2);
            Assert.Contains("the pipeline was retired", skipped[0].GetProperty("detail").GetProperty("reason").GetString());
            Assert.Equal("approved", (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{v2:N}")).GetProperty("run").GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/retiring/ready")).StatusCode);

            // Nor by a restart of the service (once deploy is ready, it has restored everything it will serve).
            mlops = await mlops.RestartAsync();
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/health/ready")).IsSuccessStatusCode);
            var afterRestart = await mlops.Client.GetAsync("/v2/models/retiring/ready");
            Assert.Equal(HttpStatusCode.NotFound, afterRestart.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/monitor/retiring")).StatusCode); // a retired pipeline is not watched again
            Assert.Contains("was retired", await afterRestart.Content.ReadAsStringAsync());

            // A person's promotion serves it again.
            var promote = await mlops.Client.PutAsJsonAsync("/models/retiring/aliases/champion", new { version = 2, reason = "relaunched", by = "product" });
            Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
            await Eventually(async () => (await mlops.Client.GetAsync("/v2/models/retiring/ready")).IsSuccessStatusCode);
            Assert.Equal("2", (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/models/retiring/ready")).GetProperty("version").GetString());
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/retiring")).IsSuccessStatusCode); // watched again
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }

    [Fact]
    public async Task OneDeployServiceServesAHundredModelsEachLoadedOnce()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        Assert.True((await mlops.Client.PutAsync("/pipelines/fleet-source", new StringContent(
            """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5}}""", Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var run = await PipelineCalls.UploadAsync(mlops.Client, "fleet-source", TestInfra.Sample("classification.csv"));
        var trained = await PipelineCalls.WaitForRunAsync(mlops.Client, run, RunTimeout, "deployed");
        var sha = trained.GetProperty("version").GetProperty("modelSha256").GetString()!;

        // A hundred pipelines, each asked to serve (as a promotion would) its own version 1.
        var bus = mlops.Service<MassTransit.IBus>();
        var names = Enumerable.Range(0, 100).Select(i => $"fleet-{i:000}").ToList();
        foreach (var name in names)
            await bus.Publish(new MlOps.Contracts.DeploymentRequested(run, name, 1, sha, "promotion", "fleet test", "test"));
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/v2/health/ready")).GetProperty("models").GetInt32() >= 101);

        var catalog = mlops.Service<MlOps.Deploy.ServingTable>();
        Assert.Equal(101, catalog.All.Select(m => m.Scorer).Distinct().Count()); // one session per served model, none shared or duplicated
        var row = """{"inputs":[{"name":"Features","shape":[1,4],"datatype":"FP32","data":[0.1,0.2,0.3,0.4]}]}""";
        var features = catalog.Get("fleet-000")!.Scorer.Card.Features.Count;
        row = row.Replace("[1,4]", $"[1,{features}]").Replace("[0.1,0.2,0.3,0.4]", "[" + string.Join(",", Enumerable.Repeat("0.5", features)) + "]");
        var answers = await Task.WhenAll(names.Select(name => mlops.Client.PostAsync($"/v2/models/{name}/infer", new StringContent(row, Encoding.UTF8, "application/json"))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var first = await answers[0].Content.ReadFromJsonAsync<JsonElement>();
        var last = await answers[^1].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("fleet-000", first.GetProperty("model_name").GetString());
        Assert.Equal("fleet-099", last.GetProperty("model_name").GetString());
        Assert.Equal(first.GetProperty("outputs")[0].GetProperty("data")[0].GetString(), last.GetProperty("outputs")[0].GetProperty("data")[0].GetString());

        // The same request again does not load anything: the sessions are the ones loaded first.
        var before = catalog.All.ToDictionary(m => m.Pipeline, m => m.Scorer);
        async Task<int> Deployed042() => (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{run:N}")).GetProperty("events").EnumerateArray()
            .Count(e => e.GetProperty("kind").GetString() == "ModelDeployed" && e.GetProperty("detail").GetProperty("pipeline").GetString() == "fleet-042");
        await Eventually(async () => await Deployed042() == 1);
        await bus.Publish(new MlOps.Contracts.DeploymentRequested(run, "fleet-042", 1, sha, "promotion", "again", "test"));
        await Eventually(async () => await Deployed042() == 2); // handled: deployed (again) and announced
        Assert.Same(before["fleet-042"], catalog.Get("fleet-042")!.Scorer);
    }
}
