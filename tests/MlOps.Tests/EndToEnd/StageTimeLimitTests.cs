using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// Time limits through the running app (issue 16 item 3): a training that outlives its pipeline's trainer.timeout, or the
/// train stage's Stages:train:Timeout, ends its run failed with the reason at the limit instead of hanging; the app goes
/// on training the next run.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class StageTimeLimitTests
{
    /// <summary>20,000 rows of 20 numbers: a few thousand deep trees take many seconds on any machine here.</summary>
    static string Wide(string folder)
    {
        var random = new Random(16);
        var csv = new StringBuilder(string.Join(",", Enumerable.Range(0, 20).Select(i => $"x{i}")) + ",y\n");
        for (var r = 0; r < 20_000; r++)
        {
            var x = Enumerable.Range(0, 20).Select(_ => random.NextDouble()).ToArray();
            csv.Append(string.Join(",", x.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))).Append(x[0] + x[1] * x[2] + random.NextDouble() * 0.3 > 0.9 ? ",a\n" : ",b\n");
        }
        var path = Path.Combine(folder, "wide.csv");
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ATrainingPastTrainerTimeoutEndsItsRunFailedAndTheNextRunTrains()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var data = Wide(mlops.DataPath);
        var put = await mlops.Client.PutAsync("/pipelines/slow", Json("""
            {"trainer": {"timeout": "00:00:01", "hyperparameters": {"numberOfTrees": 4000, "numberOfLeaves": 255, "minimumExampleCountPerLeaf": 2}}}
            """));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var clock = Stopwatch.StartNew();
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "slow", data), RunTimeout);
        Assert.Equal("failed", run.GetProperty("run").GetProperty("status").GetString());
        var error = run.GetProperty("run").GetProperty("error").GetString()!;
        Assert.Contains("Training did not finish within trainer.timeout (00:00:01)", error);
        Assert.Contains("Raise trainer.timeout", error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"failed after {clock.Elapsed}");
        Assert.False(await mlops.Service<IArtifactStore>().ExistsAsync(ArtifactKeys.ModelCard(run.GetProperty("run").GetProperty("runId").GetGuid()), default));

        // The same data with a small model and the limit raised trains and deploys: nothing was left stuck.
        var fixedSpec = await mlops.Client.PutAsync("/pipelines/slow", Json("""{"trainer": {"timeout": "00:10:00", "hyperparameters": {"numberOfTrees": 20}}}"""));
        Assert.True(fixedSpec.IsSuccessStatusCode, await fixedSpec.Content.ReadAsStringAsync());
        var retried = await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "slow", data), RunTimeout);
        Assert.Equal("deployed", retried.GetProperty("run").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheTrainStagesOwnTimeLimitEndsARunFailedNamingTheSetting()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Stages:train:Timeout"] = "00:00:01" });
        var data = Wide(mlops.DataPath);
        var put = await mlops.Client.PutAsync("/pipelines/slow-stage", Json("""{"trainer": {"hyperparameters": {"numberOfTrees": 4000, "numberOfLeaves": 255, "minimumExampleCountPerLeaf": 2}}}"""));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "slow-stage", data), RunTimeout);
        Assert.Equal("failed", run.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains("The train stage did not finish within its time limit of 00:00:01 (Stages:train:Timeout)", run.GetProperty("run").GetProperty("error").GetString());
    }
}
