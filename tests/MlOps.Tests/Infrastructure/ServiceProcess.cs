using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MlOps.Tests;

/// <summary>
/// One service's own built binary (services/{name}/bin/…/MlOps.{Name}.dll, or the gateway's, or the embedded app's) as a child process with the given environment:
/// what a test uses to kill, stop or restart a service, or to start it with a setting a shared test process cannot take.
/// </summary>
public sealed partial class ServiceProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    readonly string _name;

    ServiceProcess(string name, Process process) => (_name, _process) = (name, process);

    public bool HasExited => _process.HasExited;
    /// <summary>How a service names itself among its replicas (host and process, as MlOps' services do).</summary>
    public string Instance => $"{Environment.MachineName}-{_process.Id}".ToLowerInvariant();
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The most memory the process has held resident so far (VmHWM, from /proc), in bytes.</summary>
    public long PeakResidentBytes => File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024).Single();

    public static ServiceProcess Start(string service, Dictionary<string, string> environment)
    {
        var name = char.ToUpperInvariant(service[0]) + service[1..];
        var folder = service is "gateway" or "embedded" ? Path.Combine(TestInfra.RepositoryRoot, name) : Path.Combine(TestInfra.RepositoryRoot, "services", service);
        var dll = Path.Combine(folder, "bin", Configuration, "net10.0", $"MlOps.{name}.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build the solution first ({dll} is missing).");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\"") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Auth__ApiKeys__tests__Key"] = TestInfra.ApiKey;
        info.Environment["Auth__ApiKeys__tests__Roles"] = "admin";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var started = new ServiceProcess(service, Process.Start(info)!);
        started._process.OutputDataReceived += (_, e) => { lock (started._output) started._output.AppendLine(e.Data); };
        started._process.ErrorDataReceived += (_, e) => { lock (started._output) started._output.AppendLine(e.Data); };
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        return started;
    }

    /// <summary>The service on the isolated virtual host and the given store, with <paramref name="settings"/> on top.</summary>
    public static ServiceProcess OnIsolatedBus(string service, string artifacts, params (string Key, string Value)[] settings) =>
        OnBus(TestInfra.IsolatedMessaging, service, artifacts, settings);

    /// <summary>The service on the given broker and store, with <paramref name="settings"/> on top.</summary>
    public static ServiceProcess OnBus(string messaging, string service, string artifacts, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string> { ["ConnectionStrings__messaging"] = messaging, ["ConnectionStrings__artifacts"] = artifacts };
        foreach (var (key, value) in settings) environment[key] = value;
        return Start(service, environment);
    }

    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text))
        {
            if (_process.HasExited) throw new InvalidOperationException($"The {_name} service exited ({_process.ExitCode}):\n{Output}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"No '{text}' from the {_name} service in {timeout}:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until it listens and returns its address (it asks for any free port).</summary>
    public async Task<Uri> AddressAsync(TimeSpan timeout)
    {
        await WaitForLineAsync("Now listening on: ", timeout);
        return new Uri(Listening().Match(Output).Groups[1].Value);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    /// <summary>SIGTERM, as Kubernetes stops a pod: the host stops its bus after the messages in hand are consumed.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!) await term.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
