using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace MlOps.Embedded;

/// <summary>
/// The main job, for a first look and for scripts: <c>dotnet run --project Embedded -- run data.csv [pipeline]</c>.
/// Starts the embedded MlOps on a loopback port, applies <c>data.pipeline.json</c> if it sits beside the CSV, uploads the
/// file, shows the run moving through its stages, scores a few rows with the served model and exits 0 when it is deployed.
/// </summary>
public static class PipelineJob
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: dotnet run --project Embedded -- run <data.csv> [pipeline-name]   (e.g. samples/classification.csv)");
            return 2;
        }
        var csv = Path.GetFullPath(args[0]);
        var pipeline = args.Length > 1 ? args[1] : Path.GetFileNameWithoutExtension(csv).ToLowerInvariant().Replace('_', '-');
        var app = EmbeddedHost.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            Console.WriteLine($"MlOps embedded at {address} (in-memory bus, store in {Path.GetFullPath(".mlops")})");

            var specPath = Path.ChangeExtension(csv, ".pipeline.json");
            if (File.Exists(specPath))
            {
                var put = await http.PutAsync($"/pipelines/{pipeline}", new StringContent(await File.ReadAllTextAsync(specPath), System.Text.Encoding.UTF8, "application/json"));
                if (!put.IsSuccessStatusCode) return Fail($"the spec {specPath} was refused: {await put.Content.ReadAsStringAsync()}");
                Console.WriteLine($"pipeline '{pipeline}': spec from {Path.GetFileName(specPath)}");
            }

            var watch = Stopwatch.StartNew();
            using var body = new StreamContent(File.OpenRead(csv));
            var upload = await http.PostAsync($"/pipelines/{pipeline}/datasets", body);
            var accepted = await upload.Content.ReadFromJsonAsync<JsonElement>();
            if (!upload.IsSuccessStatusCode) return Fail($"upload refused ({(int)upload.StatusCode}): {accepted.GetProperty("detail")}");
            var runId = accepted.GetProperty("runId").GetGuid();
            Console.WriteLine($"run {runId:N}: {accepted.GetProperty("bytes")} bytes, sha256 {accepted.GetProperty("datasetSha256").GetString()![..16]}…");

            string[] stages = ["validating", "training", "gating", "deploying", "deployed"];
            var seen = "";
            JsonElement run = default;
            while (watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                var response = await http.GetAsync($"/runs/{runId:N}");
                if (response.IsSuccessStatusCode)
                {
                    run = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var status = run.GetProperty("run").GetProperty("status").GetString()!;
                    if (status != seen)
                    {
                        var step = Array.IndexOf(stages, status) + 1;
                        Console.WriteLine($"  [{new string('#', Math.Max(step, 0) * 4),-20}] {status,-14} {watch.Elapsed.TotalSeconds,6:0.0} s");
                        seen = status;
                    }
                    if (status is "deployed" or "rejected" or "model-rejected" or "failed") break;
                }
                await Task.Delay(100);
            }
            if (seen != "deployed")
            {
                var error = run.ValueKind == JsonValueKind.Undefined ? "it did not finish" : run.GetProperty("run").GetProperty("error").GetString();
                return Fail($"the run ended '{seen}': {error}\n  report: {address}validation/{runId:N}/html");
            }

            var version = run.GetProperty("version");
            Console.WriteLine($"model v{version.GetProperty("version")} ({version.GetProperty("metrics").GetProperty("accuracy").GetDouble():0.000} accuracy on the hold-out) serves /v2/models/{pipeline}/infer");
            foreach (var reason in version.GetProperty("reasons").EnumerateArray()) Console.WriteLine($"  gate: {reason.GetString()}");

            var lines = File.ReadLines(csv).Skip(1).Take(5).Select(l => l.Split(',')).ToList();
            var width = lines[0].Length - 1;
            var infer = await http.PostAsJsonAsync($"/v2/models/{pipeline}/infer", new
            {
                inputs = new[] { new { name = "Features", shape = new[] { lines.Count, width }, datatype = "FP32", data = lines.SelectMany(l => l.Take(width).Select(double.Parse)) } },
            });
            var answer = await infer.Content.ReadFromJsonAsync<JsonElement>();
            if (!infer.IsSuccessStatusCode) return Fail($"infer answered {(int)infer.StatusCode}: {answer}");
            var labels = answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.GetString()).ToList();
            for (var i = 0; i < lines.Count; i++) Console.WriteLine($"  row {i + 1}: predicted {labels[i]}, labelled {lines[i][^1]}");
            Console.WriteLine($"done in {watch.Elapsed.TotalSeconds:0.0} s. Artifacts: .mlops/artifacts/runs/{runId:N}/");
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"MlOps: {message}");
        return 1;
    }
}
