namespace MlOps.Tests;

/// <summary>docs/gate.md's promises that need a running pipeline: shown through the embedded app.</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class GateClaimsTests
{
    /// <summary>
    /// A champion that takes other inputs (here: zip one-hot instead of hashed) cannot score the candidate's hold-out, so
    /// the candidate is compared with the champion's recorded metric, the reasons say so, and the verdict follows it both
    /// ways: a candidate as good passes, one far worse is rejected.
    /// </summary>
    [Fact]
    public async Task AChampionWithOtherInputsIsJudgedByItsOwnRecordedMetric()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var data = Path.Combine(mlops.DataPath, "colours.csv");
        await File.WriteAllTextAsync(data, TrainingTests.CategoricalCsv(1000));
        const string spec = """
            {"target":"label","features":FEATURES,"trainer":{"hyperparameters":TREES},"validation":{"minRows":100},
             "gate":{"minimum":0.5,"championTolerance":0.02}}
            """;
        async Task<JsonElement> Train(string features, string trees)
        {
            await PipelineCalls.PutSpecAsync(mlops.Client, "inputs", spec.Replace("FEATURES", features).Replace("TREES", trees));
            return await PipelineCalls.WaitForRunAsync(mlops.Client, await PipelineCalls.UploadAsync(mlops.Client, "inputs", data), RunTimeout);
        }
        const string hashed = """{"categorical":["colour"],"hashed":["zip"],"hashBits":6,"impute":{"size":"mean"}}""";
        const string oneHot = """{"categorical":["colour","zip"],"impute":{"size":"mean"}}""";
        var champion = await Train(hashed, "{}");
        Assert.Equal("deployed", champion.GetProperty("run").GetProperty("status").GetString());
        var recorded = champion.GetProperty("version").GetProperty("metrics").GetProperty("accuracy").GetDouble();

        async Task<(JsonElement Run, JsonElement Gate)> Candidate(string trees)
        {
            var run = await Train(oneHot, trees);
            var gate = await mlops.Service<IArtifactStore>().GetJsonAsync<JsonElement>(ArtifactKeys.Gate(run.GetProperty("run").GetProperty("runId").GetGuid()), default);
            return (run, gate);
        }
        var (good, goodGate) = await Candidate("{}");
        Assert.Equal(JsonValueKind.False, goodGate.GetProperty("champion").GetProperty("sameRows").ValueKind);
        Assert.Equal(recorded, goodGate.GetProperty("champion").GetProperty("metrics").GetProperty("accuracy").GetDouble());
        var accuracy = good.GetProperty("version").GetProperty("metrics").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= recorded - 0.02, $"a candidate like the champion: {accuracy} against {recorded}");
        Assert.Equal("deployed", good.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains(good.GetProperty("version").GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("on its own hold-out (it could not be scored on this model's rows)"));

        // Far worse (one stump), with the hashed v1 champion again (a rollback): rejected against v1's recorded metric.
        var rollback = await mlops.Client.PostAsJsonAsync("/models/inputs/rollback", new { reason = "back to the hashed zip", by = "test" });
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        await Eventually(async () => (await mlops.Client.GetFromJsonAsync<JsonElement>("/models/inputs/aliases/champion")).GetProperty("version").GetInt32() == 1);
        var (worse, worseGate) = await Candidate("""{"numberOfTrees":1,"numberOfLeaves":2}""");
        Assert.Equal("model-rejected", worse.GetProperty("run").GetProperty("status").GetString());
        Assert.False(worseGate.GetProperty("champion").GetProperty("sameRows").GetBoolean());
        Assert.Equal(1, worseGate.GetProperty("champion").GetProperty("version").GetInt32());
        Assert.Contains(worse.GetProperty("version").GetProperty("reasons").EnumerateArray(),
            r => r.GetString()!.Contains($"is worse than champion v1's {recorded:0.####} on its own hold-out"));
    }
}
