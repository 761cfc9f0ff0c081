using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// The scale benchmark's driver (bench/scale.sh), against a running MlOps at one address:
//   pipelines URL COUNT CSV PIDS   one pipeline alone (its CPU time in PIDS is the floor's unit), then COUNT pipelines (seeds
//                                  of their own, so the training cache cannot answer) uploaded at once and waited for; the
//                                  summed RSS of PIDS (comma-separated) sampled every 100 ms, and their CPU time. One JSON line.
//   served URL MODELS SECONDS CONNECTIONS PID   single-row requests to one model and spread over MODELS models (scale-0000 …),
//                                  three rounds alternating; medians of p50/p99 and requests/s, and the deploy process's RSS. One JSON line.
//   overhead URL RUNS CSV          RUNS pipelines one after another at idle (seeds of their own), each waited for; from each
//                                  run's timeline (GET /runs/{id}: orchestration), arrived-to-deployed less the stages' own
//                                  work; p50, p99 and the largest, in milliseconds. One JSON line.
//   store CONNECTIONSTRING         the object store as the services use it (S3ArtifactStore): a 20 kB object written and
//                                  read back, 200 times, by 1, 8 and 32 callers at once; operations per second. One JSON line.
var mode = args[0];
if (mode == "store")
{
    await Store(args[1]);
    return;
}
var http = new HttpClient { BaseAddress = new Uri(args[1]), Timeout = TimeSpan.FromMinutes(5) };
// The key bench/scale.sh gives every process it starts (MLOPS_API_KEY).
if (Environment.GetEnvironmentVariable("MLOPS_API_KEY") is { Length: > 0 } benchKey) http.DefaultRequestHeaders.Add("X-Api-Key", benchKey);
if (mode == "pipelines") await Pipelines(int.Parse(args[2], CultureInfo.InvariantCulture), args[3], [.. args[4].Split(',').Select(int.Parse)]);
else if (mode == "overhead") await Overhead(int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
else if (mode == "served") await Served(int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture));
else throw new ArgumentException($"unknown mode {mode}");

async Task Pipelines(int count, string csv, int[] pids)
{
    var bytes = await File.ReadAllBytesAsync(csv);
    async Task<Guid> StartAsync(string name, int seed)
    {
        (await http.PutAsync($"/pipelines/{name}", new StringContent($"{{\"target\": \"target\", \"trainer\": {{\"seed\": {seed}}}}}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var answer = await http.PostAsync($"/pipelines/{name}/datasets", new ByteArrayContent(bytes));
        answer.EnsureSuccessStatusCode();
        return (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
    }
    // The statuses of every run from the registry's database in one request (a run's detail also lists its files in the store).
    async Task<Dictionary<Guid, string>> StatusesAsync() =>
        (await http.GetFromJsonAsync<JsonElement>("/runs?limit=1000")).EnumerateArray().ToDictionary(r => r.GetProperty("runId").GetGuid(), r => r.GetProperty("status").GetString()!);
    async Task WaitAsync(IReadOnlyCollection<Guid> runs)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromMinutes(20))
        {
            var statuses = await StatusesAsync();
            if (runs.All(r => statuses.TryGetValue(r, out var s) && s is "deployed" or "rejected" or "model-rejected" or "failed")) return;
            await Task.Delay(250);
        }
    }

    // The unit of the floor: the CPU time every process of the mode spends on one run alone, once warm (three runs first,
    // not counted), less what the processes burn idle over the same time (timers, health checks, heartbeats). Idle is
    // measured once the processes have settled (15 s after the warm-up: right after it, thirteen processes compiling
    // their hot code in the background read as nearly two busy cores), and the run alone is the median of three.
    await WaitAsync(await Task.WhenAll(Enumerable.Range(0, 3).Select(i => StartAsync($"scale-warm-{i}", 990 + i))));
    await Task.Delay(TimeSpan.FromSeconds(15));
    var idleFrom = Cpu.Seconds(pids);
    var idleClock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(10));
    var idlePerSecond = (Cpu.Seconds(pids) - idleFrom) / idleClock.Elapsed.TotalSeconds;
    var alone = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        var before = Cpu.Seconds(pids);
        var aloneClock = Stopwatch.StartNew();
        await WaitAsync([await StartAsync($"scale-alone-{i}", 995 + i)]);
        alone.Add(Cpu.Seconds(pids) - before - idlePerSecond * aloneClock.Elapsed.TotalSeconds);
    }
    var oneRunCpu = alone.Order().ElementAt(1);

    using var rss = new RssSampler(pids);
    var names = Enumerable.Range(0, count).Select(i => $"scale-{i:000}").ToList();
    var cpuBefore = Cpu.Seconds(pids);
    var clock = Stopwatch.StartNew();
    var runs = await Task.WhenAll(names.Select((name, i) => StartAsync(name, 1000 + i)));
    await WaitAsync(runs);
    var wall = clock.Elapsed.TotalSeconds;
    var cpu = Cpu.Seconds(pids) - cpuBefore;
    var statuses = await StatusesAsync();
    // What the burst asked of the store: each run's calls as its stages counted them (GET /runs/{id}: storeCalls).
    var calls = new List<long>();
    foreach (var run in runs) calls.Add(StoreCallsOf(await http.GetFromJsonAsync<JsonElement>($"/runs/{run:N}")));
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        store_calls_per_run_p50 = calls.Order().ElementAt(calls.Count / 2), store_calls_burst = calls.Sum(), store_calls_per_second = calls.Sum() / wall,
        pipelines = count, deployed = runs.Count(r => statuses.GetValueOrDefault(r) == "deployed"), ended = runs.Count(r => statuses.ContainsKey(r)),
        wall_seconds = wall, runs_per_minute = count / wall * 60, one_run_cpu_seconds = oneRunCpu, idle_cpu_per_second = idlePerSecond, cpu_seconds = cpu,
        cores = Environment.ProcessorCount, peak_rss_mib = rss.PeakMiB, processes = pids.Length,
    }));
}

async Task Overhead(int count, string csv)
{
    var bytes = await File.ReadAllBytesAsync(csv);
    var overheads = new List<double>();
    var totals = new List<double>();
    var stages = new List<double>();
    var calls = new List<double>();
    for (var i = 0; i < count; i++)
    {
        var name = $"overhead-{i:00}";
        (await http.PutAsync($"/pipelines/{name}", new StringContent($"{{\"target\": \"target\", \"trainer\": {{\"seed\": {3000 + i}}}}}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var answer = await http.PostAsync($"/pipelines/{name}/datasets", new ByteArrayContent(bytes));
        answer.EnsureSuccessStatusCode();
        var run = (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        var clock = Stopwatch.StartNew();
        JsonElement detail;
        do
        {
            await Task.Delay(100);
            // In distributed mode the registry may not have recorded the run yet: 404 until it has.
            using var reply = await http.GetAsync($"/runs/{run:N}");
            if (reply.StatusCode == System.Net.HttpStatusCode.NotFound) { detail = default; continue; }
            reply.EnsureSuccessStatusCode();
            detail = await reply.Content.ReadFromJsonAsync<JsonElement>();
        } while ((detail.ValueKind != JsonValueKind.Object || detail.GetProperty("run").GetProperty("status").GetString() is not ("deployed" or "rejected" or "model-rejected" or "failed"))
                 && clock.Elapsed < TimeSpan.FromMinutes(2));
        if (detail.GetProperty("orchestration") is not { ValueKind: JsonValueKind.Object } o)
            throw new InvalidOperationException($"run {run:N} ended {detail.GetProperty("run").GetProperty("status")} without an orchestration timing");
        overheads.Add(o.GetProperty("overheadSeconds").GetDouble() * 1000);
        totals.Add(o.GetProperty("arrivedToDeployedSeconds").GetDouble() * 1000);
        stages.Add(o.GetProperty("stagesSeconds").GetDouble() * 1000);
        calls.Add(StoreCallsOf(detail));
    }
    static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)];
    }
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        overhead_runs = count, overhead_p50_ms = Quantile(overheads, 0.5), overhead_p99_ms = Quantile(overheads, 0.99), overhead_max_ms = overheads.Max(),
        arrived_to_deployed_p50_ms = Quantile(totals, 0.5), stages_p50_ms = Quantile(stages, 0.5), store_calls_p50 = Quantile(calls, 0.5),
    }));
}

// The store calls a run cost, as its stages counted them; 0 for a run recorded by an MlOps that did not count them.
static long StoreCallsOf(JsonElement detail) =>
    detail.TryGetProperty("storeCalls", out var c) && c.ValueKind == JsonValueKind.Object ? c.GetProperty("total").GetInt64() : 0;

static async Task Store(string connection)
{
    var store = new MlOps.ServiceDefaults.Artifacts.S3ArtifactStore(connection);
    var payload = new byte[20_000];
    await store.PutAsync("probe/warm", new MemoryStream(payload), "application/octet-stream", default);
    var rates = new Dictionary<string, double>();
    foreach (var callers in new[] { 1, 8, 32 })
    {
        const int objects = 200;
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= objects)
            {
                var key = $"probe/{Guid.NewGuid():N}.json";
                await store.PutAsync(key, new MemoryStream(payload), "application/json", default);
                await using var read = await store.OpenReadAsync(key, default);
                await read.CopyToAsync(Stream.Null);
            }
        }));
        rates[$"ops_per_second_{callers}"] = 2 * objects / clock.Elapsed.TotalSeconds;
    }
    Console.WriteLine(JsonSerializer.Serialize(new { store = "s3", rates }));
}

async Task Served(int models, int seconds, int connections, int pid)
{
    var rss = RssSampler.Of([pid]);
    var body = "{\"inputs\":[{\"name\":\"Features\",\"shape\":[1,10],\"datatype\":\"FP32\",\"data\":[1.1251,1.17812,0.493516,0.79088,-0.614278,1.34702,1.41952,1.35732,0.966041,-1.98114]}]}";
    async Task<(double P50, double P99, double Rps, int Errors)> Load(Func<long, string> model)
    {
        var latencies = new List<double>[connections];
        var errors = 0;
        long next = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            latencies[c] = [];
            while (Stopwatch.GetTimestamp() < until)
            {
                var name = model(Interlocked.Increment(ref next));
                var started = Stopwatch.GetTimestamp();
                using var answer = await http.PostAsync($"/v2/models/{name}/infer", new StringContent(body, Encoding.UTF8, "application/json"));
                if (!answer.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return (all[all.Length / 2], all[(int)(all.Length * 0.99)], all.Length / (double)seconds, errors);
    }
    await Load(i => $"scale-{i % models:0000}"); // warm the client and the server, every model once at least
    var rounds = new List<((double P50, double P99, double Rps, int Errors) One, (double P50, double P99, double Rps, int Errors) Spread)>();
    for (var round = 0; round < 3; round++) rounds.Add((await Load(_ => "scale-0000"), await Load(i => $"scale-{i % models:0000}")));
    static double Median(IEnumerable<double> values) => values.Order().ElementAt(1);
    var one = (Median(rounds.Select(r => r.One.P50)), Median(rounds.Select(r => r.One.P99)), Median(rounds.Select(r => r.One.Rps)), rounds.Sum(r => r.One.Errors));
    var spread = (Median(rounds.Select(r => r.Spread.P50)), Median(rounds.Select(r => r.Spread.P99)), Median(rounds.Select(r => r.Spread.Rps)), rounds.Sum(r => r.Spread.Errors));
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        models, seconds, connections, rss_mib = rss, one_p50_ms = one.Item1, one_p99_ms = one.Item2, one_rps = one.Item3, one_errors = one.Item4,
        spread_p50_ms = spread.Item1, spread_p99_ms = spread.Item2, spread_rps = spread.Item3, spread_errors = spread.Item4,
    }));
}

/// <summary>The CPU time (user and system) some processes have used so far, from /proc/{pid}/stat.</summary>
static class Cpu
{
    public static double Seconds(int[] pids) => pids.Sum(pid =>
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0; // utime, stime in ticks of 1/100 s
        }
        catch (IOException)
        {
            return 0;
        }
    });
}

/// <summary>The summed resident memory of some processes (from /proc), sampled every 100 ms; the peak.</summary>
sealed class RssSampler : IDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    double _peak;

    public RssSampler(int[] pids) => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            _peak = Math.Max(_peak, Of(pids));
            try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
        }
    });

    public double PeakMiB => Math.Round(_peak, 1);

    public static double Of(int[] pids) => pids.Sum(pid =>
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return 0;
        }
    });

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
    }
}
