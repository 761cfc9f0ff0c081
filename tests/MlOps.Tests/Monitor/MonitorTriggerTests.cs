namespace MlOps.Tests;

/// <summary>Monitor in the running embedded app: every retrain trigger (schedule, hybrid, age, drift, performance, volume), webhooks, and feedback memory across restarts.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class MonitorTriggerTests
{
    [Fact]
    public async Task AHybridScheduleRetrainsOnlyWhenTheLastDriftReportSaysSo()
    {
        // Ten minutes past an hour: the steps below advance whole hours and then 31 s, which must stay inside the hour
        // (from a start at :59:36, the 31 s crossed into the next hour's occurrence and the last step saw a new check).
        var now = DateTimeOffset.UtcNow;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 10, 0, TimeSpan.Zero));
        await using var mlops = await EmbeddedApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var spec = """
            {"target":"target","validation":{"minRows":100},"gate":{"minimum":0.8,"championTolerance":0.05},
             "drift":{"driftedShare":0.2,"minSamples":200,"retrainOnDrift":false},"triggers":{"schedule":"0 * * * *","scheduleMode":"hybrid"}}
            """;
        Assert.True((await mlops.Client.PutAsync("/pipelines/hourly", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var first = await PipelineCalls.UploadAsync(mlops.Client, "hourly", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout)).GetProperty("run").GetProperty("status").GetString());

        async Task<JsonElement> CheckAfterAnHour()
        {
            var before = (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/hourly")).GetProperty("lastScheduledCheck");
            clock.Advance(TimeSpan.FromHours(1));
            using var cts = new CancellationTokenSource(RunTimeout);
            while (true)
            {
                var check = (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/hourly", cts.Token)).GetProperty("lastScheduledCheck");
                if (check.ValueKind != JsonValueKind.Null && check.ToString() != before.ToString()) return check;
                await Task.Delay(100, cts.Token);
            }
        }
        async Task<int> ScheduledRuns() => (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=hourly&trigger=schedule")).GetArrayLength();

        var noReport = await CheckAfterAnHour();
        Assert.False(noReport.GetProperty("retrain").GetBoolean());
        Assert.Contains("no drift report yet", noReport.GetProperty("reason").GetString());

        await PipelineCalls.InferCsvAsync(mlops.Client, "hourly", TestInfra.Sample("classification.csv")); // like the training data
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/hourly")).GetProperty("lastReport").ValueKind != JsonValueKind.Null);
        var calm = await CheckAfterAnHour();
        Assert.False(calm.GetProperty("retrain").GetBoolean());
        Assert.Contains("no dataset drift", calm.GetProperty("reason").GetString());
        Assert.Equal(0, await ScheduledRuns());

        await PipelineCalls.InferCsvAsync(mlops.Client, "hourly", TestInfra.Sample("classification-drifted.csv"));
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/hourly")).GetProperty("lastReport").GetProperty("datasetDrift").GetBoolean());
        Assert.Equal(0, await ScheduledRuns()); // drift alone does not retrain here (retrainOnDrift is off): the schedule decides
        var report = await mlops.Client.GetStringAsync("/monitor/hourly/report");
        Assert.Contains("DATASET DRIFT", report);
        Assert.Contains("feature_0", report);
        var drifted = await CheckAfterAnHour();
        Assert.True(drifted.GetProperty("retrain").GetBoolean());
        Assert.Contains("drifted", drifted.GetProperty("reason").GetString());
        await Eventually(async () => await ScheduledRuns() == 1);
        var run = (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=hourly&trigger=schedule"))[0];
        Assert.Equal(first, run.GetProperty("parentRunId").GetGuid());
        // The next tick, within the hour: the occurrence acted on stays the last one, and it started one run.
        // (The retrain's model may serve by now: its watch starts with no check.)
        var next = (await AfterClockCheckAsync(mlops.Client, "hourly", () => clock.Advance(TimeSpan.FromSeconds(31)))).GetProperty("lastScheduledCheck");
        Assert.True(next.ValueKind == JsonValueKind.Null || next.GetProperty("dueAt").GetDateTimeOffset() == drifted.GetProperty("dueAt").GetDateTimeOffset(), next.ToString());
        Assert.Equal(1, await ScheduledRuns());
    }

    [Fact]
    public async Task AModelOlderThanMaxAgeIsRetrainedOnce()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mlops = await EmbeddedApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"triggers":{"maxAge":"02:00:00"}}""";
        Assert.True((await mlops.Client.PutAsync("/pipelines/aging", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var first = await PipelineCalls.UploadAsync(mlops.Client, "aging", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout);
        await Eventually(async () => (await mlops.Client.GetAsync("/monitor/aging")).IsSuccessStatusCode);

        async Task<int> AgeRuns() => (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=aging&trigger=schedule")).GetArrayLength();

        // An hour old: the scheduler looked and found nothing due.
        void Tick() => clock.Advance(TimeSpan.FromSeconds(31));
        var young = await AfterClockCheckAsync(mlops.Client, "aging", () => clock.Advance(TimeSpan.FromHours(1)), Tick);
        Assert.Equal(JsonValueKind.Null, young.GetProperty("lastScheduledCheck").ValueKind);
        Assert.Equal(0, await AgeRuns());

        // Three hours old: one retrain; the ticks after it ask for no second one.
        var old = await AfterClockCheckAsync(mlops.Client, "aging", () => clock.Advance(TimeSpan.FromHours(2)), Tick);
        if (old.GetProperty("runId").GetGuid() == first) // the retrain may already serve by now: its own watch starts with no check
            Assert.Equal("maxAge", old.GetProperty("lastScheduledCheck").GetProperty("kind").GetString());
        var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "aging", "Schedule", RunTimeout, first);
        for (var tick = 0; tick < 3; tick++)
        {
            var after = await AfterClockCheckAsync(mlops.Client, "aging", Tick, Tick);
            if (after.GetProperty("runId").GetGuid() == first) // v1 still watched: its age retrain is the one asked for
                Assert.Equal(old.GetProperty("lastScheduledCheck").ToString(), after.GetProperty("lastScheduledCheck").ToString());
        }
        var events = (await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout)).GetProperty("events");
        Assert.Contains("longer than triggers.maxAge", events[0].GetProperty("detail").GetProperty("reason").GetString());
        Assert.Equal(1, await AgeRuns());
    }

    /// <summary>
    /// A restarted monitor carries on where it was (pipelines/{p}/monitor.json): a cron occurrence that came due while it was
    /// down is acted on once, and a model's age counts from its deployment, not from the restart.
    /// </summary>
    [Fact]
    public async Task AScheduleDueWhileMonitorWasDownAndAModelsAgeSurviveARestart()
    {
        var t0 = DateTimeOffset.UtcNow;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(t0);
        var mlops = await EmbeddedApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        try
        {
            var due = new DateTimeOffset(t0.Year, t0.Month, t0.Day, t0.Hour, t0.Minute, 0, TimeSpan.Zero).AddMinutes(65); // once a day, 65 minutes on
            var cron = $"{due.Minute} {due.Hour} * * *";
            async Task<Guid> Deploy(string pipeline, string triggers)
            {
                var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"triggers":{""" + triggers + "}}";
                Assert.True((await mlops.Client.PutAsync($"/pipelines/{pipeline}", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
                var run = await PipelineCalls.UploadAsync(mlops.Client, pipeline, TestInfra.Sample("classification.csv"));
                Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, run, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
                await Eventually(async () => (await mlops.Client.GetAsync($"/monitor/{pipeline}")).IsSuccessStatusCode);
                return run;
            }
            async Task<int> ScheduledRuns(string pipeline) => (await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipeline}&trigger=schedule")).GetArrayLength();
            var nightly = await Deploy("nightly", $"\"schedule\":\"{cron}\"");
            var aging = await Deploy("aging-restart", "\"maxAge\":\"02:00:00\"");
            var deployedAt = (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/aging-restart")).GetProperty("servingSince").GetDateTimeOffset();

            // A tick at minute 60: both looked at, nothing due yet.
            var looked = await AfterClockCheckAsync(mlops.Client, "nightly", () => clock.Advance(TimeSpan.FromMinutes(60)));
            await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/aging-restart")).GetProperty("clockCheckedAt").ToString()
                == looked.GetProperty("clockCheckedAt").ToString());
            Assert.Equal(JsonValueKind.Null, looked.GetProperty("lastScheduledCheck").ValueKind);
            Assert.Equal(0, await ScheduledRuns("nightly") + await ScheduledRuns("aging-restart"));

            // Monitor is down from minute 60 to minute 70: the occurrence at minute 65 comes due meanwhile.
            mlops = await mlops.RestartAsync(whileStopped: () => clock.Advance(TimeSpan.FromMinutes(10)));
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/nightly")).IsSuccessStatusCode);
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/aging-restart")).IsSuccessStatusCode);
            var watched = await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/aging-restart");
            Assert.Equal(deployedAt, watched.GetProperty("servingSince").GetDateTimeOffset()); // the deployment, not the restart

            clock.Advance(TimeSpan.FromSeconds(31));
            var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "nightly", "Schedule", RunTimeout, nightly);
            var events = (await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout)).GetProperty("events");
            Assert.Contains($"was due at {due:O}", events[0].GetProperty("detail").GetProperty("reason").GetString());

            // Two hours after its deployment (55 minutes after the restart), the other model is old enough.
            clock.Advance(TimeSpan.FromMinutes(55));
            var aged = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "aging-restart", "Schedule", RunTimeout, aging);
            events = (await PipelineCalls.WaitForRunAsync(mlops.Client, aged, RunTimeout)).GetProperty("events");
            Assert.Contains("longer than triggers.maxAge", events[0].GetProperty("detail").GetProperty("reason").GetString());
            // The next tick acts on no further occurrence (the retrain's model may serve by now: its watch starts with no check).
            var later = (await AfterClockCheckAsync(mlops.Client, "nightly", () => clock.Advance(TimeSpan.FromSeconds(31)))).GetProperty("lastScheduledCheck");
            Assert.True(later.ValueKind == JsonValueKind.Null || later.GetProperty("dueAt").GetDateTimeOffset() == due, later.ToString());
            Assert.Equal(1, await ScheduledRuns("nightly")); // the missed occurrence once; the next is tomorrow
            Assert.Equal(1, await ScheduledRuns("aging-restart"));
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }

    [Fact]
    public async Task WebhooksHearOfDriftAndFailedRunsAndADeadOneBlocksNothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var received = receiver.Received;
        var url = receiver.Url;

        // The receiver is on loopback, which webhooks may reach only as an operator allows; the unlisted port-9 one too.
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?>([WebhookReceiver.Allowed]));
        var spec = $$$"""
            {"target":"target","validation":{"minRows":50},"trainer":{"testFraction":0.1},"drift":{"driftedShare":0.2,"retrainOnDrift":false},
             "alerts":{"webhooks":["{{{url}}}","http://127.0.0.1:9/nobody-listens"],"on":["drift","failed"]}}
            """;
        Assert.True((await mlops.Client.PutAsync("/pipelines/alerted", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var run = await PipelineCalls.UploadAsync(mlops.Client, "alerted", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, run, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
        await PipelineCalls.InferCsvAsync(mlops.Client, "alerted", TestInfra.Sample("classification-drifted.csv"));
        await Eventually(() => Task.FromResult(received.Any(a => a.GetProperty("kind").GetString() == "drift")));
        var drift = received.First(a => a.GetProperty("kind").GetString() == "drift");
        Assert.Equal(run, drift.GetProperty("runId").GetGuid());
        Assert.Contains("features drifted", drift.GetProperty("summary").GetString());

        // 60 rows pass validation but are too few to hold out 10% for testing: the run fails, and the webhook hears it.
        var small = Path.Combine(mlops.DataPath, "small.csv");
        await File.WriteAllLinesAsync(small, File.ReadAllLines(TestInfra.Sample("classification.csv")).Take(61));
        var failedRun = await PipelineCalls.UploadAsync(mlops.Client, "alerted", small);
        Assert.Equal("failed", (await PipelineCalls.WaitForRunAsync(mlops.Client, failedRun, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
        await Eventually(() => Task.FromResult(received.Any(a => a.GetProperty("kind").GetString() == "failed")));
        Assert.Contains("too few", received.First(a => a.GetProperty("kind").GetString() == "failed").GetProperty("summary").GetString());
        Assert.Single(received, a => a.GetProperty("kind").GetString() == "drift"); // once per event, even with a dead webhook beside it
        // Every call is signed with the app's secret (made at its first start beside its admin key) over the exact bytes sent.
        var secret = System.Text.Encoding.UTF8.GetBytes((await File.ReadAllTextAsync(Path.Combine(mlops.DataPath, "webhook.secret"))).Trim());
        Assert.All(receiver.Calls, call =>
        {
            Assert.InRange(long.Parse(call.Timestamp!), DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Assert.Equal("sha256=" + MlOps.ServiceDefaults.Security.WebhookPolicy.Signature(secret, call.Timestamp!, call.Body), call.Signature);
        });
    }

    [Fact]
    public async Task FeedbackShowingADropRetrainsOnTheDataPlusTheLabelledRowsAndVolumeTriggersAtItsThreshold()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """
            {"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "performance":{"tolerance":0.05,"window":100,"minFeedback":50},"triggers":{"newRows":100000}}
            """;
        Assert.True((await mlops.Client.PutAsync("/pipelines/feedback", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var first = await PipelineCalls.UploadAsync(mlops.Client, "feedback", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
        var (ids, answers) = await ServeAsync(mlops, "feedback", 200);

        async Task<(HttpStatusCode Status, JsonElement Body)> Feedback(object body, string pipeline = "feedback")
        {
            var response = await mlops.Client.PostAsJsonAsync($"/monitor/{pipeline}/feedback", body);
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        }
        await Eventually(async () => (await Feedback(new { predictionId = ids[0], label = answers[0] })).Status == HttpStatusCode.OK);

        // Bad feedback: clear answers, nothing stored.
        var malformed = await mlops.Client.PostAsync("/monitor/feedback/feedback", new StringContent("{oops", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var (status, body) = await Feedback(new { items = new object[]
        {
            new { predictionId = "no-such-prediction", label = "1" }, new { predictionId = ids[0], label = answers[0] }, new { predictionId = ids[1], label = "7" },
        } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var reasons = body.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("reason").GetString()).ToList();
        Assert.Contains(reasons, r => r!.Contains("Unknown prediction"));
        Assert.Contains(reasons, r => r!.Contains("already has its label"));
        Assert.Contains(reasons, r => r!.Contains("one of the model's classes"));

        // The truth is the opposite of every answer: live accuracy collapses, PerformanceDropped, and a retrain on data + labels.
        var wrong = Enumerable.Range(1, 80).Select(i => new { predictionId = ids[i], label = answers[i] == "1" ? "0" : "1" }).ToArray();
        (status, body) = await Feedback(new { items = wrong });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(80, body.GetProperty("accepted").GetInt32());
        var live = body.GetProperty("performance")[0];
        Assert.True(live.GetProperty("dropped").GetBoolean(), live.ToString());
        var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "feedback", "Performance", RunTimeout, first);
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout);
        Assert.Equal(1081, run.GetProperty("run").GetProperty("datasetRows").GetInt64()); // 1000 rows + 81 labelled production rows
        var manifest = await mlops.Service<IArtifactStore>().GetJsonAsync<MlOps.Contracts.RunManifest>(ArtifactKeys.Manifest(retrain), default);
        Assert.Equal(2, manifest.FeedbackKeys!.Count);
        Assert.Equal(first, manifest.BaseRunId);
        Assert.Contains((await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{first:N}")).GetProperty("events").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "PerformanceDropped");

        // Data volume: a pipeline that retrains after 30 labelled rows (all of them right, so no drop).
        Assert.True((await mlops.Client.PutAsync("/pipelines/volume", new StringContent(
            """{"target":"target","validation":{"minRows":100},"triggers":{"newRows":30}}""", Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var base2 = await PipelineCalls.UploadAsync(mlops.Client, "volume", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, base2, RunTimeout);
        var (ids2, answers2) = await ServeAsync(mlops, "volume", 100);
        await Eventually(async () => (await mlops.Client.PostAsJsonAsync("/monitor/volume/feedback", new { predictionId = ids2[0], label = answers2[0] })).StatusCode == HttpStatusCode.OK);
        (status, _) = await Feedback(new { items = Enumerable.Range(1, 28).Select(i => new { predictionId = ids2[i], label = answers2[i] }).ToArray() }, "volume");
        Assert.Equal(HttpStatusCode.OK, status);
        var noRun = (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=volume&trigger=datavolume")).GetArrayLength();
        Assert.Equal(0, noRun); // 29 rows: not yet
        await mlops.Client.PostAsJsonAsync("/monitor/volume/feedback", new { predictionId = ids2[29], label = answers2[29] });
        var volumeRun = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "volume", "DataVolume", RunTimeout, base2);
        Assert.Contains("30 labelled production rows", (await PipelineCalls.WaitForRunAsync(mlops.Client, volumeRun, RunTimeout)).GetProperty("events")[0].GetProperty("detail").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ACategoricalFeatureWhoseMixShiftsIsCaughtByChiSquared()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """
            {"target":"label","features":{"categorical":["colour"],"hashed":["zip"],"hashBits":6,"impute":{"size":"mean"}},
             "validation":{"minRows":100},"gate":{"minimum":0.6},"drift":{"driftedShare":0.3,"minSamples":200,"retrainOnDrift":false}}
            """;
        Assert.True((await mlops.Client.PutAsync("/pipelines/colours", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var data = Path.Combine(mlops.DataPath, "colours.csv");
        await File.WriteAllTextAsync(data, TrainingTests.CategoricalCsv());
        var run = await PipelineCalls.UploadAsync(mlops.Client, "colours", data);
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, run, RunTimeout)).GetProperty("run").GetProperty("status").GetString());

        // 300 live rows: sizes like training, but every colour is red (training had a third of each).
        var random = new Random(5);
        var body = new
        {
            inputs = new object[]
            {
                new { name = "size", datatype = "FP32", shape = new[] { 300 }, data = Enumerable.Range(0, 300).Select(_ => random.NextDouble() * 10).ToArray() },
                new { name = "colour", datatype = "BYTES", shape = new[] { 300 }, data = Enumerable.Repeat("red", 300).ToArray() },
                new { name = "zip", datatype = "BYTES", shape = new[] { 300 }, data = Enumerable.Range(0, 300).Select(i => $"z{i % 50}").ToArray() },
            },
        };
        Assert.True((await mlops.Client.PostAsJsonAsync("/v2/models/colours/infer", body)).IsSuccessStatusCode);
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/colours")).GetProperty("lastReport").ValueKind != JsonValueKind.Null);
        var report = (await mlops.Client.GetFromJsonAsync<JsonElement>("/monitor/colours")).GetProperty("lastReport");
        var features = report.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetString()!);
        Assert.Equal("chiSquared", features["colour"].GetProperty("test").GetString());
        Assert.True(features["colour"].GetProperty("drifted").GetBoolean(), report.ToString());
        Assert.False(features["size"].GetProperty("drifted").GetBoolean(), report.ToString());
    }

    /// <summary>
    /// Monitor's feedback memory survives a restart: rows served before it still take their labels, a label taken before it is
    /// not taken twice, the performance window goes on from where it was, and the served log on disk stays near the rows kept.
    /// </summary>
    [Fact]
    public async Task FeedbackForRowsServedBeforeARestartIsTakenOnceAndTheServedLogStaysBounded()
    {
        var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Monitor:ServedRowsKept"] = "1500" });
        try
        {
            var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"performance":{"window":100,"minFeedback":50}}""";
            Assert.True((await mlops.Client.PutAsync("/pipelines/remembered", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
            var first = await PipelineCalls.UploadAsync(mlops.Client, "remembered", TestInfra.Sample("classification.csv"));
            Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout)).GetProperty("run").GetProperty("status").GetString());
            var (ids, answers) = await ServeAsync(mlops, "remembered", 1000);

            async Task<(HttpStatusCode Status, JsonElement Body)> Feedback(IEnumerable<int> rows, List<string>? idList = null, List<string>? labelList = null)
            {
                var items = rows.Select(i => new { predictionId = (idList ?? ids)[i], label = (labelList ?? answers)[i] }).ToArray();
                var response = await mlops.Client.PostAsJsonAsync("/monitor/remembered/feedback", new { items });
                return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
            }
            await Eventually(async () => (await Feedback([0])).Status == HttpStatusCode.OK);
            Assert.Equal(40, (await Feedback(Enumerable.Range(1, 40))).Body.GetProperty("accepted").GetInt32());

            // While monitor is down, its files get damaged: one bad file must cost its own contents only.
            mlops = await mlops.RestartAsync(whileStopped: () =>
            {
                var pipelineFolder = Path.Combine(mlops.DataPath, "artifacts", "pipelines", "remembered");
                File.WriteAllText(Path.Combine(pipelineFolder, "served", "README.txt"), "not a batch");
                File.WriteAllText(Path.Combine(pipelineFolder, "served", $"20000101T000000000Z-0000500-{Guid.NewGuid():N}.json"), "{\"runId\": tru");
                File.WriteAllText(Path.Combine(pipelineFolder, "monitor.json"), "{oops");
            });
            await Eventually(async () => (await mlops.Client.GetAsync("/monitor/remembered")).IsSuccessStatusCode); // watched afresh

            var (status, body) = await Feedback([0]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains("already has its label", body.GetProperty("rejected")[0].GetProperty("reason").GetString());
            (status, body) = await Feedback(Enumerable.Range(41, 20)); // served before the restart, labelled after it
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(20, body.GetProperty("accepted").GetInt32());
            var live = body.GetProperty("performance")[0];
            Assert.Equal(61, live.GetProperty("rows").GetInt32()); // the 41 labels from before the restart are in the window
            Assert.Equal(1.0, live.GetProperty("live").GetDouble());

            // Another 1,000 rows: the oldest of the first ones are forgotten, in memory and on disk, also after a restart.
            var (ids2, answers2) = await ServeAsync(mlops, "remembered", 1000);
            await Eventually(async () => (await Feedback([999], ids2, answers2)).Status == HttpStatusCode.OK);
            mlops = await mlops.RestartAsync();
            (status, body) = await Feedback([100]);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains("Unknown prediction", body.GetProperty("rejected")[0].GetProperty("reason").GetString());
            Assert.Equal(HttpStatusCode.OK, (await Feedback([0], ids2, answers2)).Status);
            var served = Directory.GetFiles(Path.Combine(mlops.DataPath, "artifacts", "pipelines", "remembered", "served"));
            Assert.Contains(served, f => f.EndsWith("README.txt")); // a file monitor did not write is left alone
            var rowsOnDisk = served.Where(f => f.EndsWith(".json")).Sum(f => int.Parse(Path.GetFileName(f).Split('-')[1]));
            Assert.InRange(rowsOnDisk, 1500, 2000 - 1); // the rows kept, plus at most part of one batch; not all 2,000
        }
        finally
        {
            await mlops.DisposeAsync();
        }
    }
}
