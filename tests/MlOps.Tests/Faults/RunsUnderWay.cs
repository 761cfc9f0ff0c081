namespace MlOps.Tests;

/// <summary>What the fault tests share: six runs started at once, the check that a fault came while they were under way, and the verdict after it.</summary>
public static class RunsUnderWay
{
    /// <summary>Six pipelines with seeds of their own (the training cache cannot answer) and 300 trees (the runs take a while), uploaded at once.</summary>
    public static async Task<(List<string> Pipelines, Guid[] Runs)> StartAsync(EmbeddedApp mlops, string prefix, int seed)
    {
        var pipelines = Enumerable.Range(1, 6).Select(i => $"{prefix}-{i}").ToList();
        foreach (var (pipeline, i) in pipelines.Select((p, i) => (p, i)))
            await PipelineCalls.PutSpecAsync(mlops.Client, pipeline, "{\"target\": \"target\", \"trainer\": {\"seed\": " + (seed + i) + ", \"hyperparameters\": {\"numberOfTrees\": 300}}}");
        return (pipelines, await Task.WhenAll(pipelines.Select(p => PipelineCalls.UploadAsync(mlops.Client, p, TestInfra.Sample("classification.csv")))));
    }

    /// <summary>Not every model serves yet (the registry keeps runs in its own database, so this asks deploy).</summary>
    public static async Task AssertStillUnderWayAsync(EmbeddedApp mlops, IEnumerable<string> pipelines)
    {
        var served = await Task.WhenAll(pipelines.Select(async p => (await mlops.Client.GetAsync($"/v2/models/{p}")).IsSuccessStatusCode));
        Assert.Contains(false, served);
    }

    /// <summary>Every run deployed, and every pipeline has exactly one version, which serves.</summary>
    public static async Task AssertAllDeployedOnceAsync(EmbeddedApp mlops, IReadOnlyList<string> pipelines, IEnumerable<Guid> runs)
    {
        foreach (var run in runs)
        {
            var done = await PipelineCalls.WaitForRunAsync(mlops.Client, run, TimeSpan.FromMinutes(4));
            Assert.True(done.GetProperty("run").GetProperty("status").GetString() == "deployed", done.GetProperty("run").ToString());
        }
        foreach (var pipeline in pipelines)
        {
            Assert.Equal(1, (await mlops.Client.GetFromJsonAsync<JsonElement>($"/models/{pipeline}/versions")).GetArrayLength());
            Assert.Equal("1", (await mlops.Client.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}")).GetProperty("versions")[0].GetString());
        }
    }
}
