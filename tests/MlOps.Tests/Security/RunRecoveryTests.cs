using System.Globalization;
using System.Net;
using System.Text;

namespace MlOps.Tests;

/// <summary>
/// Runs survive a crash of the embedded app and a person can stop one (issue 17 item 2): the app SIGKILLed while a run is
/// validating or training resumes it at restart (the in-memory bus lost the message; the registry's timeline says where the
/// run was), and a cancelled run ends cancelled and makes no version even though its training was under way.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class RunRecoveryTests
{
    /// <summary>A table that takes a while to validate (many pattern checks on many rows) and to train (many trees).</summary>
    internal static async Task<(string Csv, string Spec)> SlowRunAsync(string folder, bool slowValidation)
    {
        var random = new Random(7);
        var csv = Path.Combine(folder, "slow.csv");
        var rows = slowValidation ? 300_000 : 20_000;
        await using (var writer = new StreamWriter(csv))
        {
            await writer.WriteLineAsync(string.Join(",", Enumerable.Range(0, 8).Select(i => $"f{i}").Append("target")));
            for (var r = 0; r < rows; r++)
            {
                var values = Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray();
                await writer.WriteLineAsync(string.Join(",", values.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture))) + "," + (values[0] + values[1] > 1 ? 1 : 0));
            }
        }
        var checks = slowValidation
            ? string.Join(",", Enumerable.Range(0, 60).Select(i => $$"""{"expectation":"expect_column_values_to_match_regex","column":"f{{i % 8}}","regex":"^[0-9]+(\\.[0-9]+)?$"}"""))
            : "";
        var trees = slowValidation ? 20 : 3000;
        return (csv, """{"target":"target","validation":{"expectations":[""" + checks + """]},"trainer":{"name":"LightGbm","hyperparameters":{"numberOfTrees":"""
            + trees + ""","numberOfLeaves":64,"minimumExampleCountPerLeaf":5}}}""");
    }

    static async Task<string> StatusAsync(HttpClient client, Guid run) =>
        (await client.GetFromJsonAsync<JsonElement>($"/runs/{run:N}")).GetProperty("run").GetProperty("status").GetString()!;

    /// <summary>Polls until the run is in <paramref name="status"/>; fails if it goes past it.</summary>
    static async Task WaitUntilAsync(HttpClient client, Guid run, string status)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            var now = (await client.GetAsync($"/runs/{run:N}")).IsSuccessStatusCode ? await StatusAsync(client, run) : "unrecorded";
            if (now == status) return;
            Assert.True(now is "unrecorded" or "requested" or "validating" or "training", $"the run went past {status} before it could be stopped there: {now}");
            await Task.Delay(20);
        }
        Assert.Fail($"the run never reached {status}");
    }

    [Theory]
    [InlineData("validating")]
    [InlineData("training")]
    public async Task ARunTheAppWasKilledInTheMiddleOfIsResumedAtRestartAndDeployedOnce(string stage)
    {
        var data = TestInfra.TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["Artifacts__Path"] = Path.Combine(data, "artifacts"), ["Registry__Database"] = Path.Combine(data, "registry.db"), ["MLOPS_DISABLE_GPU"] = "1",
        };
        var (csv, spec) = await SlowRunAsync(data, slowValidation: stage == "validating");
        Guid run;
        using (var first = ServiceProcess.Start("embedded", environment))
        {
            using var client = TestInfra.Client(await first.AddressAsync(TimeSpan.FromSeconds(60)));
            await PipelineCalls.PutSpecAsync(client, "crash", spec);
            run = await PipelineCalls.UploadAsync(client, "crash", csv);
            await WaitUntilAsync(client, run, stage);
            first.Kill();
        }
        using var second = ServiceProcess.Start("embedded", environment);
        using var again = TestInfra.Client(await second.AddressAsync(TimeSpan.FromSeconds(60)));
        var ended = await PipelineCalls.WaitForRunAsync(again, run, TimeSpan.FromSeconds(120));
        Assert.True(ended.GetProperty("run").GetProperty("status").GetString() == "deployed", ended.ToString());
        Assert.Equal(1, ended.GetProperty("version").GetProperty("version").GetInt32());
        Assert.Single((await again.GetFromJsonAsync<JsonElement>("/models/crash/versions")).EnumerateArray());
        Assert.Contains("resuming it from its", second.Output);
    }

    [Fact]
    public async Task ACancelledRunEndsCancelledAndItsTrainingUnderWayMakesNoVersion()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var (csv, spec) = await SlowRunAsync(mlops.DataPath, slowValidation: false);
        await PipelineCalls.PutSpecAsync(mlops.Client, "cancel", spec);
        var run = await PipelineCalls.UploadAsync(mlops.Client, "cancel", csv);
        await WaitUntilAsync(mlops.Client, run, "training");

        var cancel = await mlops.Client.PostAsJsonAsync($"/runs/{run:N}/cancel", new { reason = "wrong data" });
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Waits.Eventually(async () => await StatusAsync(mlops.Client, run) == "cancelled");
        // The training under way finishes (ML.NET cannot be interrupted); its model is never gated, versioned nor served.
        var store = mlops.Service<IArtifactStore>();
        await Waits.Eventually(() => store.ExistsAsync(ArtifactKeys.ModelCard(run), default));
        await Task.Delay(2000);
        var detail = await mlops.Client.GetFromJsonAsync<JsonElement>($"/runs/{run:N}");
        Assert.Equal("cancelled", detail.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("version").ValueKind);
        Assert.Contains("cancelled by key:admin: wrong data", detail.GetProperty("run").GetProperty("error").GetString());
        Assert.DoesNotContain(detail.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() is "ModelApproved" or "ModelDeployed");
        Assert.Empty((await mlops.Client.GetFromJsonAsync<JsonElement>("/models/cancel/versions")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.GetAsync("/v2/models/cancel")).StatusCode);

        Assert.Equal(HttpStatusCode.Conflict, (await mlops.Client.PostAsJsonAsync($"/runs/{run:N}/cancel", new { reason = "again" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mlops.Client.PostAsJsonAsync($"/runs/{Guid.NewGuid():N}/cancel", new { })).StatusCode);
    }
}
