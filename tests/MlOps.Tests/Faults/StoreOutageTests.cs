using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// Issue 16 item 5, the object store: the app on an S3 endpoint of the test's own, which goes down (SIGKILL) for 30 seconds
/// while six runs are under way. Every stage waits for it (Messaging:TransientRetry) instead of failing the run: every run
/// ends deployed, with exactly one version each, and nothing failed; a request that needs the store meanwhile is answered
/// 503 with a ProblemDetails, while a run's record (the registry's alone) still answers.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class StoreOutageTests
{
    [Fact]
    public async Task SixRunsUnderWayWhenTheStoreGoesDownFor30SecondsAllDeployOnceEach()
    {
        using var s3 = await S3Endpoint.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:artifacts"] = s3.ConnectionString("outage") });
        var (pipelines, runs) = await RunsUnderWay.StartAsync(mlops, "outage", 40);
        await Eventually(async () => (await mlops.Client.GetAsync($"/runs/{runs[0]:N}")).IsSuccessStatusCode); // the registry knows it
        s3.Down();
        await RunsUnderWay.AssertStillUnderWayAsync(mlops, pipelines);
        // The run's record needs only the registry (its artifacts are read off its timeline): it answers.
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync($"/runs/{runs[0]:N}")).StatusCode);
        // A request that needs the store while it is down: a ProblemDetails saying so, with the trace ID, not an empty 500.
        var during = await mlops.Client.GetAsync($"/validation/{runs[0]:N}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        Assert.True((await during.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("traceId", out _));
        await Task.Delay(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await s3.UpAsync();
        await RunsUnderWay.AssertAllDeployedOnceAsync(mlops, pipelines, runs);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the runs took {clock.Elapsed} to finish after the store came back");
    }
}
