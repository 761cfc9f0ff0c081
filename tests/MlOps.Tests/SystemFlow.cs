using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlOps.ServiceDefaults.Artifacts;
using Xunit;

namespace MlOps.Tests;

/// <summary>
/// The issue's end-to-end flow, shared by the embedded and distributed tests so both modes are held to the same bar:
/// upload → approved and deployed → infer answers with the version and run → a drifted batch → DriftDetected →
/// a drift-triggered run that ends deployed, with every artifact under runs/{runId}/.
/// </summary>
public static class SystemFlow
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(HttpClient ingest, HttpClient registry, HttpClient deploy, IArtifactStore store, string pipeline)
    {
        await PipelineCalls.PutWalkthroughSpecAsync(ingest, pipeline);
        var firstRun = await PipelineCalls.UploadAsync(ingest, pipeline, TestInfra.Sample("classification.csv"));
        var first = await PipelineCalls.WaitForRunAsync(registry, firstRun, RunTimeout);
        Assert.Equal("deployed", first.GetProperty("run").GetProperty("status").GetString());
        var version = first.GetProperty("version");
        Assert.True(version.GetProperty("approved").GetBoolean());
        Assert.True(version.GetProperty("metrics").GetProperty("accuracy").GetDouble() >= 0.8);

        foreach (var artifact in new[] { "dataset.csv", "spec.json", "manifest.json", "validation.json", "validation.html", "profile.json", "model.zip", "model.onnx", "model.json", "metrics.json" })
            Assert.True(await store.ExistsAsync(ArtifactKeys.Run(firstRun) + artifact, default), $"runs/{firstRun:N}/{artifact} is missing");
        await using (var stored = await store.OpenReadAsync(ArtifactKeys.Dataset(firstRun), default))
        {
            var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stored));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(TestInfra.Sample("classification.csv")))), hash);
            Assert.Equal(hash, first.GetProperty("run").GetProperty("datasetSha256").GetString());
        }

        // Infer: the protocol's shapes, the version and run named, and the answers as good as the hold-out said.
        var answers = await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification.csv"));
        var labels = File.ReadAllLines(TestInfra.Sample("classification.csv")).Skip(1).Select(l => l.Split(',')[^1]).ToList();
        var predicted = answers.SelectMany(a => a.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString())).ToList();
        Assert.Equal(labels.Count, predicted.Count);
        Assert.True(labels.Zip(predicted).Count(p => p.First == p.Second) > 0.85 * labels.Count);
        Assert.All(answers, a =>
        {
            Assert.Equal("1", a.GetProperty("model_version").GetString());
            Assert.Equal(firstRun.ToString("N"), a.GetProperty("parameters").GetProperty("run_id").GetString());
        });

        await AssertInferRefusesBadInputAsync(deploy, pipeline);

        // Drift: the drifted batch through infer leads to DriftDetected on the serving run and a drift-triggered retrain.
        await PipelineCalls.InferCsvAsync(deploy, pipeline, TestInfra.Sample("classification-drifted.csv"));
        var retrainRun = await PipelineCalls.WaitForNewRunAsync(registry, pipeline, "Drift", RunTimeout, firstRun);
        var retrain = await PipelineCalls.WaitForRunAsync(registry, retrainRun, RunTimeout);
        Assert.Equal("deployed", retrain.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(firstRun, retrain.GetProperty("run").GetProperty("parentRunId").GetGuid());
        var firstTimeline = await registry.GetFromJsonAsync<JsonElement>($"/runs/{firstRun:N}");
        Assert.Contains(firstTimeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "DriftDetected");
        Assert.Equal(2, retrain.GetProperty("version").GetProperty("version").GetInt32());

        // Same data, spec, code and seed: the same model, bit for bit in content.
        Assert.Equal(version.GetProperty("modelSha256").GetString(), retrain.GetProperty("version").GetProperty("modelSha256").GetString());
        var now = await deploy.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}");
        Assert.Equal("2", now.GetProperty("versions")[0].GetString());
    }

    static async Task AssertInferRefusesBadInputAsync(HttpClient deploy, string pipeline)
    {
        async Task Refused(string body, HttpStatusCode status, string says, string model = "")
        {
            var response = await deploy.PostAsync($"/v2/models/{(model == "" ? pipeline : model)}/infer", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{body} → {(int)response.StatusCode} {text}");
            Assert.Contains(says, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        await Refused("{not json", HttpStatusCode.BadRequest, "not valid JSON");
        await Refused("{}", HttpStatusCode.BadRequest, "inputs");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", HttpStatusCode.BadRequest, "shape");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,10],"datatype":"BYTES","data":["a","b","c","d","e","f","g","h","i","j"]}]}""", HttpStatusCode.BadRequest, "datatype");
        await Refused("""{"inputs":[{"name":"Features","shape":[2,10],"datatype":"FP32","data":[1,2,3]}]}""", HttpStatusCode.BadRequest, "needs 20");
        await Refused("""{"inputs":[{"name":"feature_0","shape":[1],"datatype":"FP32","data":[1]}]}""", HttpStatusCode.BadRequest, "Missing inputs");
        await Refused("""{"inputs":[{"name":"Features","shape":[1,10],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9,null]}]}""", HttpStatusCode.BadRequest, "not a number");
        await Refused("""{"inputs":[]}""", HttpStatusCode.NotFound, "not served", model: "no-such-model");
    }
}
