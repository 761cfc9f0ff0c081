using System.Diagnostics;
using System.Net.Sockets;

namespace MlOps.Tests;

/// <summary>
/// A RabbitMQ node of a test's own (Debian's rabbitmq-server, as scripts/infra.sh runs it, on ports and a folder of its
/// own), which the test may stop and start again on the same data: a broker restart that touches no other test.
/// </summary>
public sealed class Broker : IDisposable
{
    readonly string _folder = TestInfra.TempDirectory();
    readonly string _node = $"mlops-fault-{Guid.NewGuid():N}"[..24] + "@localhost";
    readonly int _port = FreePort(), _distPort = FreePort();

    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{_port}";

    static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    static string Sbin => Path.GetDirectoryName(Directory.GetFiles("/usr/lib/rabbitmq/lib", "rabbitmq-server", SearchOption.AllDirectories)
        .FirstOrDefault(f => f.Contains("/sbin/")) ?? throw new FileNotFoundException("rabbitmq-server is not installed: scripts/infra.sh start installs it."))!;

    public static async Task<Broker> StartAsync()
    {
        var broker = new Broker();
        await broker.UpAsync();
        return broker;
    }

    ProcessStartInfo Script(string name, string arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(Sbin, name), arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["HOME"] = _folder;
        info.Environment["RABBITMQ_NODENAME"] = _node;
        info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        info.Environment["RABBITMQ_NODE_PORT"] = _port.ToString(CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_DIST_PORT"] = _distPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_folder, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_folder, "log");
        info.Environment["RABBITMQ_PID_FILE"] = Path.Combine(_folder, "pid");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_folder, "enabled_plugins");
        info.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_folder, "rabbitmq");
        info.Environment["ERL_CRASH_DUMP"] = Path.Combine(_folder, "erl_crash.dump");
        return info;
    }

    static async Task RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{info.FileName} {info.Arguments} exited {process.ExitCode}: {await output}{await error}");
    }

    /// <summary>Starts the node (again, on the same data) and waits until it takes connections.</summary>
    public async Task UpAsync()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_folder, "log"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "rabbitmq.conf"), "loopback_users = none\n");
        await File.WriteAllTextAsync(Path.Combine(_folder, "enabled_plugins"), "[].\n");
        var server = Script("rabbitmq-server", "");
        server.RedirectStandardOutput = server.RedirectStandardError = false;
        Process.Start(server)!.Dispose();
        await RunAsync(Script("rabbitmqctl", $"-n {_node} wait --timeout 120 {Path.Combine(_folder, "pid")}"), TimeSpan.FromSeconds(150));
    }

    /// <summary>Stops the node as an operator would (queues and persistent messages stay on disk).</summary>
    public Task DownAsync() => RunAsync(Script("rabbitmqctl", $"-n {_node} stop {Path.Combine(_folder, "pid")}"), TimeSpan.FromSeconds(120));

    public void Dispose()
    {
        try
        {
            DownAsync().Wait(TimeSpan.FromSeconds(60));
        }
        catch (Exception)
        {
            // already down
        }
    }
}
