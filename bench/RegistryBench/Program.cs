using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.Registry;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Bench.Registry;

/// <summary>
/// The registry benchmark: fills a registry database with RUNS runs and versions across MODELS models (each run with its
/// timeline, a version, a deployment in the model log, and a manifest in a filesystem store), starts the real registry
/// service on it, and times its HTTP API from this process: list and filter runs, lineage of a prediction ID, and
/// "what served at T". Prints one JSON line with p50, p99 and max per query kind.
///   run REGISTRY_DLL [RUNS] [MODELS] [REQUESTS]
/// </summary>
public static class Program
{
    /// <summary>The key the bench's registry accepts (role viewer) and its client sends.</summary>
    static readonly string BenchKey = "bench-" + Guid.NewGuid().ToString("N");

    public static async Task<int> Main(string[] args)
    {
        if (args is not ["run", var dll, ..]) { Console.Error.WriteLine("usage: run REGISTRY_DLL [RUNS] [MODELS] [REQUESTS]"); return 2; }
        var runs = args.Length > 2 ? int.Parse(args[2]) : 10_000;
        var models = args.Length > 3 ? int.Parse(args[3]) : 100;
        var requests = args.Length > 4 ? int.Parse(args[4]) : 2_000;
        var dir = Path.Combine(Path.GetTempPath(), "mlops-registry-bench", Guid.NewGuid().ToString("N"));
        var db = Path.Combine(dir, "registry.db");
        var store = new FileSystemArtifactStore(Path.Combine(dir, "artifacts"));

        var fill = Stopwatch.StartNew();
        var registry = RegistryStore.Sqlite(db, TimeProvider.System);
        var random = new Random(1);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var ids = new List<(Guid Run, string Pipeline, int Version)>();
        RunStatus[] statuses = [RunStatus.Deployed, RunStatus.Rejected, RunStatus.ModelRejected, RunStatus.Failed];
        for (var i = 0; i < runs; i++)
        {
            var pipeline = $"model-{i % models:D3}";
            var runId = Guid.NewGuid();
            var at = start.AddMinutes(i * 4);
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(runId.ToByteArray()));
            await store.PutJsonAsync(ArtifactKeys.Manifest(runId), new RunManifest(runId, pipeline, Trigger.Upload, null, null, ArtifactKeys.Dataset(runId),
                sha, 1000, sha, 42, "bench", at), default);
            await registry.RecordAsync(runId, pipeline, "DataArrived", RunStatus.Validating, new { }, new RunFacts(Trigger: (i % 3 == 0 ? Trigger.Drift : Trigger.Upload).ToString(),
                DatasetSha: sha, Bytes: 1000, SpecSha: sha, CodeVersion: "bench", Seed: 42));
            await registry.RecordAsync(runId, pipeline, "DataValidated", RunStatus.Training, new { }, new RunFacts(Rows: 1000));
            await registry.RecordAsync(runId, pipeline, "ModelTrained", RunStatus.Gating, new { });
            var version = await registry.AddVersionAsync(pipeline, runId, sha, new Dictionary<string, double> { ["accuracy"] = 0.8 + random.NextDouble() / 10 },
                _ => new GateVerdict(true, ["bench"]));
            await registry.RecordAsync(runId, pipeline, "ModelDeployed", statuses[i % 7 == 0 ? 1 + i % 3 : 0], new { });
            await registry.LogAsync(pipeline, version.Version, "deployed", "deploy", null, new { runId }, at);
            ids.Add((runId, pipeline, version.Version));
        }
        var fillSeconds = fill.Elapsed.TotalSeconds;

        using var service = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["Registry__Database"] = db, ["Artifacts__Path"] = Path.Combine(dir, "artifacts"), ["ASPNETCORE_URLS"] = "http://127.0.0.1:5199", ["Logging__LogLevel__Default"] = "Warning",
                ["Auth__ApiKeys__bench__Key"] = BenchKey, ["Auth__ApiKeys__bench__Roles"] = "viewer" },
        })!;
        service.OutputDataReceived += (_, _) => { };
        service.ErrorDataReceived += (_, _) => { };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:5199") };
        http.DefaultRequestHeaders.Add("X-Api-Key", BenchKey); // a reader, as a dashboard would be
        try
        {
            for (var i = 0; ; i++)
            {
                try { if ((await http.GetAsync("/health")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
                if (i > 300) throw new TimeoutException("the registry did not start");
                await Task.Delay(100);
            }
            var results = new Dictionary<string, object>();
            async Task Time(string name, Func<int, string> url)
            {
                for (var i = 0; i < 50; i++) (await http.GetAsync(url(i))).EnsureSuccessStatusCode(); // warm up
                var times = new double[requests];
                for (var i = 0; i < requests; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync(url(i));
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url(i)} → {(int)response.StatusCode}");
                    times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                }
                Array.Sort(times);
                results[name] = new { p50_ms = times[requests / 2], p99_ms = times[(int)(requests * 0.99)], max_ms = times[^1], requests };
            }
            var pick = new Random(2);
            await Time("list_runs", _ => "/runs?limit=100");
            await Time("filter_runs", i => $"/runs?pipeline=model-{pick.Next(models):D3}&status=deployed&trigger={(i % 2 == 0 ? "upload" : "drift")}&limit=100");
            await Time("filter_runs_by_time", _ => $"/runs?from={Uri.EscapeDataString(start.AddDays(pick.Next(25)).ToString("O"))}&to={Uri.EscapeDataString(start.AddDays(26).ToString("O"))}&limit=100");
            await Time("lineage", _ => $"/lineage/predictions/{ids[pick.Next(ids.Count)].Run:N}-{Guid.NewGuid():N}");
            await Time("served_at", _ => $"/models/model-{pick.Next(models):D3}/served?at={Uri.EscapeDataString(start.AddMinutes(pick.Next(runs * 4) + 400).ToString("O"))}");
            Console.WriteLine(JsonSerializer.Serialize(new { tool = "mlops-registry", runs, versions = ids.Count, models, fill_seconds = fillSeconds, results }));
        }
        finally
        {
            service.Kill(entireProcessTree: true);
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }
}
