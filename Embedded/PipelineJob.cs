using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MlOps.Registry;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Security;
using nietras.SeparatedValues;

namespace MlOps.Embedded;

/// <summary>
/// The main job, for a first look and for scripts: <c>dotnet run --project Embedded -- run data.csv [pipeline]</c>.
/// Starts the embedded MlOps on a loopback port, applies <c>data.pipeline.json</c> if it sits beside the CSV, uploads the
/// file, shows the run moving through its stages, scores a few rows with the served model and exits 0 when it is deployed.
/// </summary>
public static class PipelineJob
{
    public const string Usage = """
        MlOps, embedded: all six stages in one process (in-memory bus, filesystem store under .mlops/).

          dotnet run --project Embedded                                 serve the API, the console and inference until stopped
                                                                        (--urls http://127.0.0.1:5100 to choose the address)
          dotnet run --project Embedded -- run <data.csv> [pipeline]    upload a CSV (with <data>.pipeline.json beside it, if
                                                                        any), follow its run to deployed, score five rows;
                                                                        exits 0 when it serves, 1 when the run ended otherwise

        Any setting as --Section:Key=value (docs/configuration.md). The local admin key is made at the first start in
        .mlops/admin.key; every call needs it (X-Api-Key) or another identity (docs/security.md).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine($"MlOps: give the CSV to run, e.g. samples/classification.csv.\n\n{Usage}");
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
            // The local admin key, as every caller needs one (made at the first start, kept beside the registry).
            http.DefaultRequestHeaders.Add(ApiKeys.Header, ApiKeys.ReadOrCreate(EmbeddedHost.AdminKeyFile(app.Configuration)).Key);
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

            var seen = "";
            JsonElement run = default;
            while (watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                var response = await http.GetAsync($"/runs/{runId:N}");
                if (response.IsSuccessStatusCode)
                {
                    run = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var status = run.GetProperty("run").GetProperty("status").GetString()!;
                    var state = RunLifecycle.Parse(status);
                    if (status != seen)
                    {
                        var step = RunLifecycle.StepOf(state, run.GetProperty("run").GetProperty("stage").GetString() ?? "");
                        Console.WriteLine($"  [{new string('#', Math.Max(step, 0) * 4),-20}] {status,-14} {watch.Elapsed.TotalSeconds,6:0.0} s");
                        seen = status;
                    }
                    if (RunLifecycle.Of(state).Terminal) break;
                }
                await Task.Delay(100);
            }
            if (seen != "deployed")
            {
                var error = run.ValueKind == JsonValueKind.Undefined ? "it did not finish" : run.GetProperty("run").GetProperty("error").GetString();
                return Fail($"the run ended '{seen}': {error}\n  report: {address.TrimEnd('/')}/validation/{runId:N}/html");
            }

            var version = run.GetProperty("version");
            var score = version.GetProperty("metrics").EnumerateObject().First(m => m.Name is "accuracy" or "r2");
            Console.WriteLine($"model v{version.GetProperty("version")} ({score.Value.GetDouble():0.0000} {score.Name} on the hold-out) serves /v2/models/{pipeline}/infer");
            foreach (var reason in version.GetProperty("reasons").EnumerateArray()) Console.WriteLine($"  gate: {reason.GetString()}");

            // Five rows of the dataset as the stages read it (a semicolon export, say, is already converted), sent as the model
            // takes them: each input by its column's name, numbers as numbers (an empty cell as null), text as text.
            var model = await http.GetFromJsonAsync<JsonElement>($"/v2/models/{pipeline}");
            var target = run.GetProperty("events").EnumerateArray().First(e => e.GetProperty("kind").GetString() == "DataValidated").GetProperty("detail").GetProperty("target").GetString()!;
            var rows = new List<Dictionary<string, string>>();
            await using (var dataset = await app.Services.GetRequiredService<IArtifactStore>().OpenReadAsync(ArtifactKeys.Dataset(runId), default))
            using (var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(dataset))
                foreach (var row in reader)
                {
                    var cells = new Dictionary<string, string>();
                    foreach (var column in reader.Header.ColNames) cells[column] = row[column].ToString();
                    rows.Add(cells);
                    if (rows.Count == 5) break;
                }
            var inputs = model.GetProperty("inputs").EnumerateArray().Select(input =>
            {
                var name = input.GetProperty("name").GetString()!;
                object data = input.GetProperty("datatype").GetString() == "BYTES"
                    ? rows.Select(r => r[name]).ToArray()
                    : rows.Select(r => double.TryParse(r[name], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) ? x : (double?)null).ToArray();
                return new { name, datatype = input.GetProperty("datatype").GetString(), shape = new[] { rows.Count }, data };
            }).ToArray();
            var infer = await http.PostAsJsonAsync($"/v2/models/{pipeline}/infer", new { inputs });
            var answer = await infer.Content.ReadFromJsonAsync<JsonElement>();
            if (!infer.IsSuccessStatusCode) return Fail($"infer answered {(int)infer.StatusCode}: {answer}");
            var answers = answer.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.ToString()).ToList();
            for (var i = 0; i < rows.Count; i++) Console.WriteLine($"  row {i + 1}: predicted {answers[i]}, labelled {rows[i][target]}");
            Console.WriteLine($"done in {watch.Elapsed.TotalSeconds:0.0} s. Artifacts: .mlops/artifacts/runs/{runId:N}/");
            return 0;
        }
        finally
        {
            // The job's answer is given: work still in flight (a cancelled run's training, say, whose result is dropped anyway)
            // gets a few seconds to stop, not the host's default half minute.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(stopping.Token);
        }
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"MlOps: {message}");
        return 1;
    }
}
