namespace MlOps.Tests;

/// <summary>What docs/monitoring.md and docs/configuration.md promise about monitor, each shown through the running embedded app.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class MonitorClaimsTests
{
    /// <summary>
    /// Regression feedback is judged by RMSE against the hold-out's (relative tolerance), and with retraining.includeFeedback
    /// off the retrain it starts trains on the accepted dataset alone, byte for byte.
    /// </summary>
    [Fact]
    public async Task RegressionFeedbackIsJudgedByRmseAndIncludeFeedbackOffRetrainsOnTheDatasetAlone()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """
            {"target":"y","task":"regression","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "performance":{"tolerance":0.05,"window":100,"minFeedback":50},"retraining":{"includeFeedback":false}}
            """;
        await PipelineCalls.PutSpecAsync(mlops.Client, "scores", spec);
        var data = Path.Combine(mlops.DataPath, "scores.csv");
        // y in the hundreds (the sample's y × 100), so that "RMSE 5% above the hold-out's" and "RMSE + 0.05" are far apart.
        await File.WriteAllLinesAsync(data, TrainingTests.RegressionCsv(1000).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select((l, i) => i == 0 ? l : l[..(l.LastIndexOf(',') + 1)] + (100 * double.Parse(l[(l.LastIndexOf(',') + 1)..], CultureInfo.InvariantCulture)).ToString("F2", CultureInfo.InvariantCulture)));
        var first = await PipelineCalls.UploadAsync(mlops.Client, "scores", data);
        var deployed = await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout);
        Assert.Equal("deployed", deployed.GetProperty("run").GetProperty("status").GetString());
        var holdoutRmse = deployed.GetProperty("version").GetProperty("metrics").GetProperty("rmse").GetDouble();
        var (ids, answers) = await ServeAsync(mlops, "scores", 300, data);
        var predicted = answers.Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToList();

        async Task<JsonElement> Feedback(IEnumerable<int> rows, double error)
        {
            var items = rows.Select(i => new { predictionId = ids[i], label = (predicted[i] + error).ToString("R", CultureInfo.InvariantCulture) }).ToArray();
            var response = await mlops.Client.PostAsJsonAsync("/monitor/scores/feedback", new { items });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return JsonDocument.Parse(body).RootElement;
        }
        // Every answer off by 1.03 × the hold-out's RMSE: live RMSE is exactly that, within the 5% tolerance: no drop.
        var close = 1.03 * holdoutRmse;
        await Eventually(async () => (await mlops.Client.PostAsJsonAsync("/monitor/scores/feedback",
            new { predictionId = ids[0], label = (predicted[0] + close).ToString("R", CultureInfo.InvariantCulture) })).IsSuccessStatusCode);
        var calm = (await Feedback(Enumerable.Range(1, 59), close)).GetProperty("performance")[0];
        Assert.Equal(("rmse", 60, false), (calm.GetProperty("metric").GetString(), calm.GetProperty("rows").GetInt32(), calm.GetProperty("dropped").GetBoolean()));
        Assert.Equal(close, calm.GetProperty("live").GetDouble(), 1e-3 * close);
        Assert.Equal(holdoutRmse, calm.GetProperty("holdout").GetDouble(), 1e-9);

        // Then every answer off by twice the hold-out's RMSE: the last 100 (the window) give RMSE ≈ 1.6×, above 1.05×, a drop.
        var far = 2 * holdoutRmse;
        var dropped = (await Feedback(Enumerable.Range(60, 100), far)).GetProperty("performance")[0];
        Assert.True(dropped.GetProperty("dropped").GetBoolean(), dropped.ToString());
        Assert.Equal(100, dropped.GetProperty("rows").GetInt32());
        var expected = Math.Sqrt((60 * 0 + 100 * far * far) / 100.0); // the window holds only the last 100
        Assert.Equal(expected, dropped.GetProperty("live").GetDouble(), 1e-3 * expected);

        var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "scores", "Performance", RunTimeout, first);
        var run = (await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout)).GetProperty("run");
        Assert.Equal(1000, run.GetProperty("datasetRows").GetInt64()); // not 1000 + 160 labelled rows
        Assert.Equal(deployed.GetProperty("run").GetProperty("datasetSha256").GetString(), run.GetProperty("datasetSha256").GetString());
        var manifest = await mlops.Service<IArtifactStore>().GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(retrain), default);
        Assert.True(manifest.FeedbackKeys is null or { Count: 0 }, string.Join(", ", manifest.FeedbackKeys ?? []));
        Assert.NotEmpty(await mlops.Service<IArtifactStore>().ListAsync(ArtifactKeys.Feedback("scores"), default)); // the labels were kept all the same
    }

    /// <summary>Monitor:KeepServedRows=false: served rows live in memory only (nothing under served/), so a restart forgets them.</summary>
    [Fact]
    public async Task WithoutKeepServedRowsARestartForgetsWhatWasServed()
    {
        var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Monitor:KeepServedRows"] = "false" });
        try
        {
            await PipelineCalls.PutSpecAsync(mlops.Client, "forgetful", """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5}}""");
            var first = await PipelineCalls.UploadAsync(mlops.Client, "forgetful", TestInfra.Sample("classification.csv"));
            await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout, "deployed");
            var (ids, answers) = await ServeAsync(mlops, "forgetful", 1000);
            Task<HttpResponseMessage> Label(int i) => mlops.Client.PostAsJsonAsync("/monitor/forgetful/feedback", new { predictionId = ids[i], label = answers[i] });
            await Eventually(async () => (await Label(999)).IsSuccessStatusCode); // the last batch reached monitor: all 1,000 rows are known
            Assert.True((await Label(0)).IsSuccessStatusCode);
            var served = Path.Combine(mlops.DataPath, "artifacts", "pipelines", "forgetful", "served");
            Assert.True(!Directory.Exists(served) || Directory.GetFiles(served).Length == 0, "served rows were written to the store");

            mlops = await mlops.RestartAsync();
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/forgetful")).IsSuccessStatusCode);
            var forgotten = await Label(1);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, forgotten.StatusCode);
            Assert.Contains("Unknown prediction", await forgotten.Content.ReadAsStringAsync());
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }

    /// <summary>
    /// docs/monitoring.md: the drift cooldown carries over. A drift retrain, then a monitor restart, then more drifted traffic:
    /// each check after the restart finds drift and says it is in cooldown, and no second drift run starts.
    /// </summary>
    [Fact]
    public async Task TheDriftCooldownHoldsAcrossAMonitorRestart()
    {
        var mlops = await EmbeddedApp.StartAsync();
        try
        {
            await PipelineCalls.PutSpecAsync(mlops.Client, "cooling", """
                {"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
                 "drift":{"driftedShare":0.2,"cooldown":"01:00:00"},"retraining":{"minNewRows":0}}
                """);
            var first = await PipelineCalls.UploadAsync(mlops.Client, "cooling", TestInfra.Sample("classification.csv"));
            await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout, "deployed");
            await PipelineCalls.InferCsvAsync(mlops.Client, "cooling", TestInfra.Sample("classification-drifted.csv"));
            var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "cooling", "Drift", RunTimeout, first);
            await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout, "deployed");
            var store = mlops.Service<IArtifactStore>();
            await Eventually(async () => (await store.TryGetJsonAsync<MlOps.Monitor.WatchedModel>(ArtifactKeys.MonitorWatch("cooling"), default))?.RunId == retrain);

            mlops = await mlops.RestartAsync();
            store = mlops.Service<IArtifactStore>();
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/cooling")).IsSuccessStatusCode);
            await PipelineCalls.InferCsvAsync(mlops.Client, "cooling", TestInfra.Sample("classification-drifted.csv"));
            var checks = await SystemFlow.DriftChecksAsync(store, retrain, 1000);
            Assert.NotEmpty(checks);
            Assert.All(checks, c => Assert.True(c.Report.GetProperty("datasetDrift").GetBoolean(), c.Page));
            Assert.All(checks, c => Assert.Contains("in cooldown until", c.Page));
            Assert.Single((await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=cooling&trigger=drift")).EnumerateArray());
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }

    /// <summary>
    /// Issue 15: drift with nothing new to learn from defers the retrain (a retrain on the serving model's own data would make
    /// the same model): each drifted check says what it waits for, GET /monitor shows it, no run starts, 39 labels are not
    /// enough; the 40th starts the drift retrain, on the data plus the labelled rows, and the deferral is gone.
    /// </summary>
    [Fact]
    public async Task DriftWithNothingNewToLearnDefersTheRetrainUntilLabelsArrive()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await PipelineCalls.PutSpecAsync(mlops.Client, "deferring", """
            {"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"drift":{"driftedShare":0.2},
             "retraining":{"minNewRows":40}}
            """);
        var first = await PipelineCalls.UploadAsync(mlops.Client, "deferring", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout, "deployed");
        var (ids, _) = await ServeAsync(mlops, "deferring", 1000, TestInfra.Sample("classification-drifted.csv"));
        var checks = await SystemFlow.DriftChecksAsync(mlops.Service<IArtifactStore>(), first, 1000);
        Assert.All(checks, c => Assert.True(c.Report.GetProperty("datasetDrift").GetBoolean(), c.Page));
        Assert.All(checks, c => Assert.Contains("retrain deferred until 40 labelled production rows of v1 arrive (0 so far", c.Page));
        async Task<JsonElement> Deferred() => (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/deferring")).GetProperty("retrainDeferred");
        Assert.Equal(40, (await Deferred()).GetProperty("minNewRows").GetInt32());
        async Task<int> DriftRuns() => (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=deferring&trigger=drift")).GetArrayLength();
        Assert.Equal(0, await DriftRuns());
        // The serving run's timeline (its page, the console's link) says so, once for the episode, however many checks drifted.
        JsonElement[] deferrals = [];
        await Eventually(async () => (deferrals = (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{first:N}")).GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "RetrainDeferred").ToArray()).Length > 0);
        Assert.Single(deferrals);
        Assert.Equal(40, deferrals[0].GetProperty("detail").GetProperty("minNewRows").GetInt32());

        var truth = File.ReadAllLines(TestInfra.Sample("classification-drifted.csv")).Skip(1).Select(l => l.Split(',')[^1]).ToList();
        async Task<JsonElement> Label(int from, int count)
        {
            var response = await mlops.Client.PostAsJsonAsync("/monitor/deferring/feedback",
                new { items = Enumerable.Range(from, count).Select(i => new { predictionId = ids[i], label = truth[i] }).ToArray() });
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, body.ToString());
            return body;
        }
        Assert.Equal(39, (await Label(0, 39)).GetProperty("accepted").GetInt32());
        Assert.Equal(40, (await Deferred()).GetProperty("minNewRows").GetInt32()); // the labels were taken, and 39 are not enough
        Assert.Equal(0, await DriftRuns());

        await Label(39, 1);
        var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "deferring", "Drift", RunTimeout, first);
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout);
        Assert.Equal(1040, run.GetProperty("run").GetProperty("datasetRows").GetInt64());
        Assert.Contains("until 40 labelled production rows arrived: 40 have", run.GetProperty("events")[0].GetProperty("detail").GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, (await Deferred()).ValueKind);
        Assert.Equal(1, await DriftRuns());
    }
}

