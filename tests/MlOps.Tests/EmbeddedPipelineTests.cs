using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
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
    public async Task AnInvalidSpecIsRefusedAtSubmissionWithEveryReason()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var spec = """{"trainer":{"name":"XGBoost","hyperparameters":{"numberOfTrees":-5}},"gate":{"metric":"vibes"}}""";
        var response = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent(spec, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Unknown trainer 'XGBoost'", body);
        Assert.Contains("vibes", body);
        var malformed = await mlops.Client.PutAsync("/pipelines/bad-spec", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }
}
