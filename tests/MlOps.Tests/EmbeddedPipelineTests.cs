using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using Xunit;

namespace MlOps.Tests;

/// <summary>The embedded composition (one process, in-memory bus, filesystem store) over real HTTP on loopback.</summary>
public class EmbeddedPipelineTests
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TheLoopRunsFromUploadToServingAndRetrainsOnDrift()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.RunAsync(mlops.Client, mlops.Client, mlops.Client, mlops.Service<IArtifactStore>(), "loop");
    }

    [Fact]
    public async Task ValidationStopsDataThatBreaksTheSuiteOrTheSchemaWithAReadableReport()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.ValidationAsync(mlops.Client, mlops.Client, mlops.Client, "suite", mlops.DataPath);
    }

    [Fact]
    public async Task FeaturesAreEngineeredInsideTheModelAndTheGateComparesWithTheChampionOnTheSameRows()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.TrainingAndGateAsync(mlops.Client, mlops.Client, mlops.Client, mlops.Service<IArtifactStore>(), "features", mlops.DataPath);
    }

    [Fact]
    public async Task TheRegistryAnswersLineageServedAtRollbackAndCachesTraining()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var bus = mlops.Service<MassTransit.IBus>();
        await SystemFlow.RegistryAsync(mlops.Client, mlops.Client, mlops.Client, m => bus.Publish(m), "registry");
    }

    [Fact]
    public async Task TheRegistryRunsTheSameOnPostgreSql()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:registry"] = TestInfra.NewPostgresDatabase() });
        var bus = mlops.Service<MassTransit.IBus>();
        await SystemFlow.RegistryAsync(mlops.Client, mlops.Client, mlops.Client, m => bus.Publish(m), "registry-pg");
        Assert.False(File.Exists(Path.Combine(mlops.DataPath, "registry.db")), "the SQLite file was used instead of PostgreSQL");
    }

    [Fact]
    public async Task AHybridScheduleRetrainsOnlyWhenTheLastDriftReportSaysSo()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
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
        await Task.Delay(500);
        Assert.Equal(1, await ScheduledRuns());
    }

    [Fact]
    public async Task TheV2EndpointsAnswerTheProtocolsRequestsAndAHotSwapUnderLoadLosesNoRequest()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        // The load repeats one row tens of thousands of times: that is drift, and a drift retrain would swap in a third
        // version in the middle of the test. This test is about the swap, so drift only reports here.
        const string spec = """{"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"drift":{"retrainOnDrift":false}}""";
        async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/swap",
            new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
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
    public async Task AModelOlderThanMaxAgeIsRetrainedOnce()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mlops = await EmbeddedApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"triggers":{"maxAge":"02:00:00"}}""";
        Assert.True((await mlops.Client.PutAsync("/pipelines/aging", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var first = await PipelineCalls.UploadAsync(mlops.Client, "aging", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, first, RunTimeout);
        await Eventually(async () => (await mlops.Client.GetAsync("/monitor/aging")).IsSuccessStatusCode);

        clock.Advance(TimeSpan.FromHours(1));
        await Task.Delay(500);
        Assert.Equal(0, (await mlops.Client.GetFromJsonAsync<JsonElement>("/runs?pipeline=aging&trigger=schedule")).GetArrayLength());
        clock.Advance(TimeSpan.FromHours(2));
        var retrain = await PipelineCalls.WaitForNewRunAsync(mlops.Client, "aging", "Schedule", RunTimeout, first);
        var events = (await PipelineCalls.WaitForRunAsync(mlops.Client, retrain, RunTimeout)).GetProperty("events");
        Assert.Contains("longer than triggers.maxAge", events[0].GetProperty("detail").GetProperty("reason").GetString());
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

            clock.Advance(TimeSpan.FromMinutes(60)); // a tick: nothing is due yet
            await Task.Delay(500);
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
            clock.Advance(TimeSpan.FromSeconds(31));
            await Task.Delay(500);
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
        var received = new System.Collections.Concurrent.ConcurrentQueue<JsonElement>();
        var hook = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        hook.WebHost.UseUrls("http://127.0.0.1:0");
        hook.Logging.ClearProviders();
        await using var receiver = hook.Build();
        receiver.MapPost("/alerts", async (HttpRequest request) =>
        {
            received.Enqueue((await JsonDocument.ParseAsync(request.Body)).RootElement.Clone());
            return Results.Ok();
        });
        await receiver.StartAsync();
        var url = receiver.Urls.First() + "/alerts";

        await using var mlops = await EmbeddedApp.StartAsync();
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

    [Fact]
    public async Task ACanaryWhoseFeedbackShowsADropIsRolledBackAndAnswersNothingAfter()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string spec = """
            {"target":"target","trainer":{"seed":SEED},"validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},
             "rollout":{"canaryShare":0.5,"minPredictions":1000000},"performance":{"tolerance":0.05,"window":60,"minFeedback":30}}
            """;
        async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/canary",
            new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
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
        await Task.Delay(1000);
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
        async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/timed",
            new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        await PutSpec(42);
        await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv")), RunTimeout);
        await PutSpec(43);
        var v2 = await PipelineCalls.UploadAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv"));
        await PipelineCalls.WaitForRunAsync(mlops.Client, v2, RunTimeout, "deploying");
        await PipelineCalls.InferCsvAsync(mlops.Client, "timed", TestInfra.Sample("classification.csv"), batch: 50);
        await Task.Delay(1500);
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
        async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/shadowed",
            new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
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
        async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/promoted",
            new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
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
            async Task PutSpec(int seed) => Assert.True((await mlops.Client.PutAsync("/pipelines/retiring",
                new StringContent(spec.Replace("SEED", seed.ToString()), Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
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
            await Task.Delay(500);
            Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/retiring/ready")).StatusCode);

            // Nor by a restart of the service.
            mlops = await mlops.RestartAsync();
            await Task.Delay(500);
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
        await bus.Publish(new MlOps.Contracts.DeploymentRequested(run, "fleet-042", 1, sha, "promotion", "again", "test"));
        await Task.Delay(500);
        Assert.Same(before["fleet-042"], catalog.Get("fleet-042")!.Scorer);
    }

    /// <summary>Scores the first rows of the sample through infer; returns each row's prediction ID and answer.</summary>
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

    static async Task<(List<string> Ids, List<string> Answers)> ServeAsync(EmbeddedApp mlops, string pipeline, int rows)
    {
        var answers = await PipelineCalls.InferCsvAsync(mlops.Client, pipeline, TestInfra.Sample("classification.csv"));
        var ids = answers.SelectMany(a => a.GetProperty("parameters").GetProperty("prediction_ids").EnumerateArray().Select(x => x.GetString()!)).Take(rows).ToList();
        var labels = answers.SelectMany(a => a.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString()!)).Take(rows).ToList();
        return (ids, labels);
    }

    static async Task Eventually(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(RunTimeout);
        while (!await condition()) await Task.Delay(100, cts.Token);
    }

    [Fact]
    public async Task AnInvalidSuiteIsRefusedAtSubmissionNotWhenDataArrives()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """
            {"validation":{"expectations":[
              {"expectation":"expect_column_values_to_be_purple","column":"a"},
              {"expectation":"expect_column_values_to_be_between","column":"a"},
              {"expectation":"expect_column_values_to_be_between","column":"a","min":5,"max":1},
              {"expectation":"expect_column_values_to_match_regex","column":"a","regex":"(unclosed"},
              {"expectation":"expect_column_values_to_be_in_set","values":["x"]},
              {"expectation":"expect_column_mean_to_be_between","column":"a","min":0,"mostly":0.5},
              {"expectation":"expect_column_values_to_not_be_null","column":"a","mostly":1.5}]}}
            """;
        var response = await mlops.Client.PutAsync("/pipelines/bad-suite", new StringContent(spec, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        foreach (var reason in new[] { "Unknown expectation 'expect_column_values_to_be_purple'", "needs 'min', 'max' or both", "min 5 is greater than max 1",
            "does not compile", "needs 'column'", "'mostly' does not apply", "'mostly' must be in (0, 1]" })
            Assert.Contains(reason, body);
        Assert.Equal(HttpStatusCode.BadRequest, (await mlops.Client.PutAsync("/pipelines/bad-suite",
            new StringContent("""{"validation":{"expectations":[{"expectation":"expect_column_values_to_be_of_type","column":"a","type":"colour"}]}}""", Encoding.UTF8, "application/json"))).StatusCode);
        var stored = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/bad-suite"); // still the defaults: nothing was saved
        Assert.Equal(0, stored.GetProperty("validation").GetProperty("expectations").GetArrayLength());
    }

    [Fact]
    public async Task ARejectedUploadLeavesAReportUnderItsRunAndNoModelVersion()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
        lines[5] = "1.0,2.0"; // a ragged row
        lines[9] = lines[9].Replace(lines[9].Split(',')[2], "not-a-number");
        var path = Path.Combine(mlops.DataPath, "bad.csv");
        File.WriteAllLines(path, lines);

        var runId = await PipelineCalls.UploadAsync(mlops.Client, "bad-data", path);
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, runId, RunTimeout);

        Assert.Equal("rejected", run.GetProperty("run").GetProperty("status").GetString());
        var error = run.GetProperty("run").GetProperty("error").GetString()!;
        Assert.Contains("do not have 11 fields", error);
        Assert.Contains("feature_2", error);
        var artifacts = run.GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains(ArtifactKeys.Validation(runId), artifacts);
        Assert.Contains(ArtifactKeys.ValidationHtml(runId), artifacts);
        Assert.DoesNotContain(ArtifactKeys.Model(runId), artifacts);

        var report = await mlops.Client.GetFromJsonAsync<JsonElement>($"/validation/{runId:N}");
        Assert.False(report.GetProperty("success").GetBoolean());
        var page = await mlops.Client.GetStringAsync($"/validation/{runId:N}/html");
        Assert.Contains("REJECTED", page);
        Assert.Contains("line 6", page);

        var versions = await mlops.Client.GetFromJsonAsync<JsonElement>("/models/bad-data/versions");
        Assert.Equal(0, versions.GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/bad-data")).StatusCode);
    }

    [Theory]
    [InlineData("", 400, "empty")]
    [InlineData("\0\u0001\u0002binary", 415, "binary")]
    [InlineData("1.0,2.0,0\n3.0,4.0,1\n", 422, "looks like data")]
    [InlineData("a,b,c\n1,2,3\n", 422, "Target column missing")]
    public async Task UploadsWrongAtAGlanceGetProblemDetailsAndStartNoRun(string body, int status, string says)
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        if (status == 422 && says == "Target column missing")
        {
            var spec = new StringContent("""{"target":"label"}""", Encoding.UTF8, "application/json");
            Assert.True((await mlops.Client.PutAsync("/pipelines/glance", spec)).IsSuccessStatusCode);
        }
        var response = await mlops.Client.PostAsync("/pipelines/glance/datasets", new StringContent(body, Encoding.UTF8, "text/csv"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    /// <summary>
    /// A Parquet upload is converted to CSV at the door and trains the same model as the CSV it was written from (two row
    /// groups here); the Parquet bytes are kept under the run and named by the manifest and the lineage.
    /// </summary>
    [Fact]
    public async Task AParquetUploadTrainsTheSameModelAsItsCsvAndKeepsItsBytes()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """{"target":"target","validation":{"minRows":100},"gate":{"minimum":0.5,"championTolerance":1},"cache":{"enabled":false}}""";
        Assert.True((await mlops.Client.PutAsync("/pipelines/parquet", new StringContent(spec, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        var lines = File.ReadAllLines(TestInfra.Sample("classification.csv"));
        var header = lines[0].Split(',');
        var cells = lines[1..].Select(l => l.Split(',')).ToArray();
        var fields = header[..^1].Select(h => new Parquet.Schema.DataField<double>(h)).ToArray();
        var target = new Parquet.Schema.DataField<int>(header[^1]);
        var parquet = new MemoryStream();
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema([.. fields, target]), parquet))
        {
            foreach (var part in cells.Chunk(500))
            {
                using var group = writer.CreateRowGroup();
                for (var c = 0; c < fields.Length; c++)
                    await group.WriteAsync<double>(fields[c], part.Select(r => double.Parse(r[c], CultureInfo.InvariantCulture)).ToArray());
                await group.WriteAsync<int>(target, part.Select(r => int.Parse(r[^1], CultureInfo.InvariantCulture)).ToArray());
            }
        }
        var bytes = parquet.ToArray();

        var fromCsv = await PipelineCalls.UploadAsync(mlops.Client, "parquet", TestInfra.Sample("classification.csv"));
        var csvRun = await PipelineCalls.WaitForRunAsync(mlops.Client, fromCsv, RunTimeout);
        var response = await mlops.Client.PostAsync("/pipelines/parquet/datasets", new ByteArrayContent(bytes) { Headers = { ContentType = new("application/vnd.apache.parquet") } });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var fromParquet = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetGuid();
        var parquetRun = await PipelineCalls.WaitForRunAsync(mlops.Client, fromParquet, RunTimeout);
        Assert.Equal("deployed", parquetRun.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(1000, parquetRun.GetProperty("run").GetProperty("datasetRows").GetInt64());
        Assert.Equal(csvRun.GetProperty("version").GetProperty("modelSha256").GetString(), parquetRun.GetProperty("version").GetProperty("modelSha256").GetString());

        var store = mlops.Service<IArtifactStore>();
        var manifest = await store.GetJsonAsync<RunManifest>(ArtifactKeys.Manifest(fromParquet), default);
        Assert.Equal("parquet", manifest.Source!.Format);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), manifest.Source.Sha256);
        await using (var kept = await store.OpenReadAsync(manifest.Source.Key, default))
        {
            var copy = new MemoryStream();
            await kept.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        var lineage = await mlops.Client.GetFromJsonAsync<JsonElement>($"/lineage/runs/{fromParquet:N}");
        Assert.Equal(manifest.Source.Sha256, lineage.GetProperty("dataset").GetProperty("source").GetProperty("sha256").GetString());
        Assert.Equal(manifest.DatasetSha256, lineage.GetProperty("dataset").GetProperty("sha256").GetString()); // the CSV the stages read
    }

    public sealed class Tagged { public double X { get; set; } public List<int> Tags { get; set; } = []; public int Label { get; set; } }
    public sealed class Blobbed { public double X { get; set; } public byte[] Blob { get; set; } = []; public int Label { get; set; } }

    [Fact]
    public async Task ParquetFilesMlOpsCannotReadAreRefusedByNameAndStartNoRun()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Ingest:MaxUploadBytes"] = "20000", ["Ingest:MaxParquetRowGroupCells"] = "1000" });
        async Task<byte[]> Write<T>(IEnumerable<T> rows)
        {
            var stream = new MemoryStream();
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, stream);
            return stream.ToArray();
        }
        var cases = new (byte[] Body, string Says)[]
        {
            ([.. "PAR1"u8, .. new byte[100], .. "PAR1"u8], "Unreadable Parquet file"),
            (await Write(Enumerable.Range(0, 50).Select(i => new Tagged { X = i, Tags = [i, i + 1], Label = i % 2 })), "'Tags'"),
            (await Write(Enumerable.Range(0, 50).Select(i => new Blobbed { X = i, Blob = [1, 2], Label = i % 2 })), "'Blob'"),
            // A small file (one repeated value compresses to little) whose CSV would pass the upload limit.
            (await Write(Enumerable.Range(0, 1000).Select(i => new { Text = new string('x', 100) })), "passed the upload limit"),
            // A row group of more cells than are converted at once (600 rows × 2 columns).
            (await Write(Enumerable.Range(0, 600).Select(i => new { X = (double)i, Label = i % 2 })), "row group too large"),
        };
        foreach (var (body, says) in cases)
        {
            Assert.True(body.Length < 20000);
            var response = await mlops.Client.PostAsync("/pipelines/parquet-bad/datasets", new ByteArrayContent(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((says.StartsWith("passed") ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.UnprocessableEntity) == response.StatusCode, text);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, text);
        }
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    /// <summary>
    /// An upload that declares a length past Ingest:MaxUploadBytes is refused before its body is read. (A body streamed without
    /// a length is cut off at the limit too, but the server closes the connection on a client still sending, so the client may
    /// see a reset rather than the 413: not a stable thing to assert.)
    /// </summary>
    [Fact]
    public async Task AnUploadPastTheLimitGets413AndStartsNoRun()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Ingest:MaxUploadBytes"] = "20000" });
        var bytes = await File.ReadAllBytesAsync(TestInfra.Sample("classification.csv"));
        Assert.True(bytes.Length > 20000);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/pipelines/too-big/datasets") { Content = new ByteArrayContent(bytes) };
        request.Headers.ExpectContinue = true; // the client waits for the server's answer before it sends the body
        var response = await mlops.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Ingest:MaxUploadBytes", await response.Content.ReadAsStringAsync());
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("UPPER")]
    [InlineData("a_b")]
    public async Task HostilePipelineNamesAreRefused(string name)
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var response = await mlops.Client.PostAsync($"/pipelines/{Uri.EscapeDataString(name)}/datasets", new StringContent("a,b\n1,2\n"));
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{response.StatusCode}");
        Assert.Empty(await mlops.Service<IArtifactStore>().ListAsync("runs/", default));
    }

    [Fact]
    public async Task ASpecAndItsSuiteCanBeWrittenInYaml()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        const string yaml = """
            # the suite next to the trainer, as a team would keep it in git
            target: target
            trainer:
              name: FastTree
              seed: 7
              hyperparameters: {numberOfTrees: 20, learningRate: 0.2}
            validation:
              minRows: 100
              columnTypes: {feature_0: number}
              expectations:
                - expectation: expect_column_values_to_be_between
                  column: feature_0
                  min: -100
                  max: 100
                  mostly: 0.99
                - expectation: expect_column_values_to_match_regex
                  column: target
                  regex: "^[01]$"
            """;
        static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");
        var put = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml(yaml));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var spec = await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/yaml-spec");
        Assert.Equal("FastTree", spec.GetProperty("trainer").GetProperty("name").GetString());
        Assert.Equal(0.2, spec.GetProperty("trainer").GetProperty("hyperparameters").GetProperty("learningRate").GetDouble());
        var suite = spec.GetProperty("validation").GetProperty("expectations");
        Assert.Equal(2, suite.GetArrayLength());
        Assert.Equal(0.99, suite[0].GetProperty("mostly").GetDouble());
        Assert.Equal("^[01]$", suite[1].GetProperty("regex").GetString());

        // The same checks as JSON: an unknown expectation is named; broken YAML says where; aliases and oversized specs are refused.
        var invalid = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("validation:\n  expectations:\n    - expectation: expect_vibes\n"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("expect_vibes", await invalid.Content.ReadAsStringAsync());
        var broken = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("trainer:\n  name: [LightGbm\n"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("not valid YAML", await broken.Content.ReadAsStringAsync());
        var bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
        var aliases = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml(bomb));
        Assert.Equal(HttpStatusCode.BadRequest, aliases.StatusCode);
        Assert.Contains("aliases", await aliases.Content.ReadAsStringAsync());
        var huge = await mlops.Client.PutAsync("/pipelines/yaml-spec", Yaml("target: " + new string('x', 2 << 20)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        // The stored spec is still the good one.
        Assert.Equal("FastTree", (await mlops.Client.GetFromJsonAsync<JsonElement>("/pipelines/yaml-spec")).GetProperty("trainer").GetProperty("name").GetString());

        // The walk-through's spec in YAML (samples/) is the same spec as its JSON.
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/from-yaml", Yaml(await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.yaml"))))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/from-json", new StringContent(
            await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.json")), Encoding.UTF8, "application/json"))).StatusCode);
        async Task<System.Text.Json.Nodes.JsonObject> Stored(string name)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(await mlops.Client.GetStringAsync($"/pipelines/{name}"))!.AsObject();
            node.Remove("name");
            return node;
        }
        var fromYaml = await Stored("from-yaml");
        var fromJson = await Stored("from-json");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(fromYaml, fromJson), $"{fromYaml}\n{fromJson}");
    }

    [Fact]
    public async Task AnInvalidSpecIsRefusedAtSubmissionWithEveryReason()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """{"trainer":{"name":"XGBoost","hyperparameters":{"numberOfTrees":-5}},"gate":{"metric":"vibes"}}""";
        var response = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(spec, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Unknown trainer 'XGBoost'", body);
        Assert.Contains("vibes", body);
        var policy = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"drift":{"threshold":0,"method":"vibes","features":{"x":{"threshold":-1}}},"triggers":{"schedule":"every day at noon","scheduleMode":"often"}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, policy.StatusCode);
        var policyBody = await policy.Content.ReadAsStringAsync();
        foreach (var reason in new[] { "can never (or always) be crossed", "drift.method 'vibes'", "drift.features['x']", "not a cron expression", "triggers.scheduleMode" })
            Assert.Contains(reason, policyBody);
        var derived = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"features":{"derived":[{"name":"r","op":"power","of":["a","b"]},{"name":"s","op":"sum","of":["a"]}]}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, derived.StatusCode);
        var derivedBody = await derived.Content.ReadAsStringAsync();
        Assert.Contains("op 'power' is not one of sum, difference, product, ratio", derivedBody);
        Assert.Contains("'of' names exactly two numeric columns", derivedBody);
        var trees = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(
            """{"trainer":{"name":"FastForest","hyperparameters":{"rowFraction":1.5,"maxBins":1,"leaves":3}}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, trees.StatusCode);
        var treesBody = await trees.Content.ReadAsStringAsync();
        foreach (var reason in new[] { "rowFraction (the share of rows each tree learns from) must be in (0, 1]", "maxBins (histogram bins per feature) must be between 2 and 1024", "'leaves' is not a hyperparameter of FastForest" })
            Assert.Contains(reason, treesBody);
        var malformed = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }
}
