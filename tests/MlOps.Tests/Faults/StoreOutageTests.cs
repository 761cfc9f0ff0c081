using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 item 5, the object store: the app on an S3 endpoint of the test's own, which goes down (SIGKILL) for 30 seconds
/// while six runs are under way. Every stage waits for it (Messaging:TransientRetry) instead of failing the run: every run
/// ends deployed, with exactly one version each, and nothing failed.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class StoreOutageTests
{
    [Fact]
    public async Task SixRunsUnderWayWhenTheStoreGoesDownFor30SecondsAllDeployOnceEach()
    {
        using var s3 = await S3Endpoint.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:artifacts"] = s3.ConnectionString("outage") });
        var pipelines = Enumerable.Range(1, 6).Select(i => $"outage-{i}").ToList();
        foreach (var (pipeline, i) in pipelines.Select((p, i) => (p, i)))
            await PipelineCalls.PutSpecAsync(mlops.Client, pipeline, "{\"target\": \"target\", \"trainer\": {\"seed\": " + (40 + i) + ", \"hyperparameters\": {\"numberOfTrees\": 300}}}");
        var runs = await Task.WhenAll(pipelines.Select(p => PipelineCalls.UploadAsync(mlops.Client, p, TestInfra.Sample("classification.csv"))));

        s3.Down();
        // The outage came while runs were under way: not every model was served yet (the registry keeps runs in its own database).
        var served = await Task.WhenAll(pipelines.Select(async p => (await mlops.Client.GetAsync($"/v2/models/{p}")).IsSuccessStatusCode));
        Assert.Contains(false, served);
        await Task.Delay(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await s3.UpAsync();

        foreach (var run in runs)
        {
            var done = await PipelineCalls.WaitForRunAsync(mlops.Client, run, TimeSpan.FromMinutes(3));
            Assert.True(done.GetProperty("run").GetProperty("status").GetString() == "deployed", done.GetProperty("run").ToString());
        }
        foreach (var pipeline in pipelines)
        {
            var versions = await mlops.Client.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions");
            Assert.Equal(1, versions.GetArrayLength());
            Assert.Equal("1", (await mlops.Client.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());
        }
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the runs took {clock.Elapsed} to finish after the store came back");
    }
}
