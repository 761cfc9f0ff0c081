using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using MlOps.Embedded;

namespace MlOps.Tests;

/// <summary>The embedded composition on a real loopback port, with its own store and registry in a temporary folder.</summary>
public sealed class EmbeddedApp : IAsyncDisposable
{
    public required WebApplication App { get; init; }
    public required HttpClient Client { get; init; }
    public required string DataPath { get; init; }
    /// <summary>The app's local admin key (the <see cref="Client"/> carries it).</summary>
    public required string AdminKey { get; init; }
    IDictionary<string, string?>? settings;
    Action<IServiceCollection>? services;

    public static async Task<EmbeddedApp> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        await StartAsync(TestInfra.TempDirectory(), settings, services);

    /// <summary>
    /// Stops this app and starts a fresh one on the same artifact store and registry database, with the same settings and
    /// services, as a restarted service would; <paramref name="whileStopped"/> runs in between (a test clock moving on, say).
    /// </summary>
    public async Task<EmbeddedApp> RestartAsync(Action? whileStopped = null)
    {
        await DisposeAsync();
        whileStopped?.Invoke();
        return await StartAsync(DataPath, settings, services);
    }

    static async Task<EmbeddedApp> StartAsync(string data, IDictionary<string, string?>? settings, Action<IServiceCollection>? services)
    {
        var app = EmbeddedHost.Build([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Artifacts:Path"] = Path.Combine(data, "artifacts"),
                ["Registry:Database"] = Path.Combine(data, "registry.db"),
                ["Messaging:Retry:FirstDelay"] = "00:00:00.010",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null) b.Configuration.AddInMemoryCollection(settings);
            services?.Invoke(b.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // Authenticated as the app's own local admin key, made at its first start beside its registry (as a user's is).
        var key = MlOps.ServiceDefaults.Security.ApiKeys.ReadOrCreate(EmbeddedHost.AdminKeyFile(app.Configuration)).Key;
        return new EmbeddedApp { App = app, Client = TestInfra.Client(new Uri(address), key), DataPath = data, settings = settings, services = services, AdminKey = key };
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Calls every test flow makes against a running MlOps (embedded or distributed).</summary>
public static class PipelineCalls
{
    public static readonly string[] Terminal = ["deployed", "rejected", "model-rejected", "failed"];

    public static async Task<Guid> UploadAsync(HttpClient ingest, string pipeline, string path)
    {
        using var content = new StreamContent(File.OpenRead(path));
        content.Headers.ContentType = new("text/csv");
        var response = await ingest.PostAsync($"/pipelines/{pipeline}/datasets", content);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"Upload answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetGuid();
    }

    /// <summary>Polls the run until its status is terminal (or, given <paramref name="status"/>, until it is that one).</summary>
    public static async Task<JsonElement> WaitForRunAsync(HttpClient registry, Guid runId, TimeSpan timeout, string? status = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        JsonElement last = default;
        while (true)
        {
            var response = await registry.GetAsync($"/runs/{runId:N}", cts.Token);
            if (response.IsSuccessStatusCode)
            {
                last = (await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).Clone();
                var now = last.GetProperty("run").GetProperty("status").GetString();
                if (status is null ? Terminal.Contains(now) : now == status) return last;
            }
            try
            {
                await Task.Delay(250, cts.Token);
            }
            catch (OperationCanceledException)
            {
                var seen = last.ValueKind == JsonValueKind.Undefined ? "never found" : last.GetProperty("run").ToString();
                throw new TimeoutException($"Run {runId:N} did not reach {status ?? "an end"} within {timeout}: {seen}");
            }
        }
    }

    /// <summary>
    /// Waits until deploy has said, at least <paramref name="count"/> times, that it did not serve an approval of this run
    /// (DeploymentSkipped on the run's timeline), and returns those events: the positive signal that an approval was handled.
    /// </summary>
    public static async Task<List<JsonElement>> WaitForSkippedDeploymentAsync(HttpClient registry, Guid runId, int count = 1)
    {
        List<JsonElement> skipped = [];
        await Eventually(async () => (skipped = (await registry.GetFromJsonAsync<JsonElement>($"/runs/{runId:N}")).GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "DeploymentSkipped").ToList()).Count >= count);
        return skipped;
    }

    /// <summary>PUTs a JSON spec and asserts it was accepted (the refusal's body is the failure message).</summary>
    public static async Task PutSpecAsync(HttpClient ingest, string pipeline, string spec)
    {
        var response = await ingest.PutAsync($"/pipelines/{pipeline}", new StringContent(spec, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Polls until a run other than <paramref name="known"/> exists for the pipeline with the given trigger, and returns its ID.</summary>
    public static async Task<Guid> WaitForNewRunAsync(HttpClient registry, string pipeline, string trigger, TimeSpan timeout, params Guid[] known)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var runs = await registry.GetFromJsonAsync<JsonElement>($"/runs?pipeline={pipeline}", cts.Token);
            foreach (var run in runs.EnumerateArray())
            {
                var id = run.GetProperty("runId").GetGuid();
                if (!known.Contains(id) && run.GetProperty("trigger").GetString() == trigger) return id;
            }
            try
            {
                await Task.Delay(250, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {trigger} run of {pipeline} within {timeout}: {runs}");
            }
        }
    }

    /// <summary>Sends CSV rows (features only, in file order) to infer in batches; returns every response body.</summary>
    public static async Task<List<JsonElement>> InferCsvAsync(HttpClient deploy, string pipeline, string path, int batch = 100)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var width = header.Length - 1;
        var rows = lines.Skip(1).Select(l => l.Split(',').Take(width).Select(double.Parse).ToArray()).ToList();
        var answers = new List<JsonElement>();
        foreach (var chunk in rows.Chunk(batch))
        {
            var request = new { inputs = new[] { new { name = "Features", shape = new[] { chunk.Length, width }, datatype = "FP32", data = chunk.SelectMany(r => r) } } };
            var response = await deploy.PostAsJsonAsync($"/v2/models/{pipeline}/infer", request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"infer answered {(int)response.StatusCode}: {body}");
            answers.Add(JsonDocument.Parse(body).RootElement.Clone());
        }
        return answers;
    }

    /// <summary>The spec the walk-through uses: defaults, but a dataset counts as drifted when 20% of its features drift.</summary>
    public static async Task PutWalkthroughSpecAsync(HttpClient ingest, string pipeline)
    {
        var spec = await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.json"));
        var response = await ingest.PutAsync($"/pipelines/{pipeline}", new StringContent(spec, System.Text.Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"PUT spec answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
