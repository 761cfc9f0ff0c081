using System.Diagnostics;
using System.Net.Sockets;

namespace MlOps.Tests;

/// <summary>
/// An S3 endpoint of a test's own (the s3rver scripts/infra.sh installs), on a port and folder of its own, that the test may
/// take down and bring back with the same objects: an outage that touches no other test.
/// </summary>
public sealed class S3Endpoint : IDisposable
{
    readonly string _folder = TestInfra.TempDirectory();
    readonly int _port;
    Process? _process;

    S3Endpoint(int port) => _port = port;

    public string ConnectionString(string bucket) => $"Endpoint=http://127.0.0.1:{_port};AccessKey=S3RVER;SecretKey=S3RVER;Bucket={bucket}";

    public static async Task<S3Endpoint> StartAsync()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var endpoint = new S3Endpoint(port);
        await endpoint.UpAsync();
        return endpoint;
    }

    /// <summary>Starts it (again) on the same port and folder, and waits until it answers.</summary>
    public async Task UpAsync()
    {
        var script = Path.Combine(TestInfra.RepositoryRoot, ".infra", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script)) throw new FileNotFoundException($"{script} is missing: scripts/infra.sh start installs it.");
        var info = new ProcessStartInfo("node", $"\"{script}\" --address 127.0.0.1 --port {_port} --directory \"{_folder}\" --silent")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = Process.Start(info)!;
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await http.GetAsync($"http://127.0.0.1:{_port}/");
                return;
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Takes it down at once (SIGKILL): connections are refused until <see cref="UpAsync"/>.</summary>
    public void Down()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Down();
}
