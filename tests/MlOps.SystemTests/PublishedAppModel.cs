using Xunit;
using System.Diagnostics;
using System.Text.Json;
using MlOps.Tests;

namespace MlOps.SystemTests;

/// <summary>
/// The AppHost published as azd and <c>aspire publish</c> see it (<c>--publisher manifest</c>), once per test run, and the
/// programs the deployment tests call (the built AppHost, kubectl, node), run as a user would run them.
/// </summary>
public static class PublishedAppModel
{
    static readonly Lazy<Task<(JsonElement Manifest, string Text)>> Published = new(PublishAsync);

    public static Task<(JsonElement Manifest, string Text)> ManifestAsync() => Published.Value;

    /// <summary>The project resources of the manifest (the services and the gateway), by name.</summary>
    public static IReadOnlyDictionary<string, JsonElement> Projects(JsonElement manifest) => manifest.GetProperty("resources").EnumerateObject()
        .Where(r => r.Value.GetProperty("type").GetString()!.StartsWith("project.", StringComparison.Ordinal))
        .ToDictionary(r => r.Name, r => r.Value);

    static async Task<(JsonElement, string)> PublishAsync()
    {
        var output = Path.Combine(TestInfra.TempDirectory(), "aspire-manifest.json");
        var appHost = typeof(MlOps.AppHost.MlOpsTopology).Assembly.Location;
        // From a folder of its own, with none of this machine's MlOps settings: what a build server would publish.
        var (code, text) = await RunAsync("dotnet", ["exec", appHost, "--publisher", "manifest", "--output-path", output],
            workingDirectory: Path.GetDirectoryName(output)!, environment: new() { ["DOTNET_ENVIRONMENT"] = "Production", ["MlOps__Mode"] = null });
        Assert.True(code == 0, $"publishing failed ({code}): {text}");
        var json = await File.ReadAllTextAsync(output);
        return (JsonDocument.Parse(json).RootElement.Clone(), json);
    }

    /// <summary>Runs a program to its end (five minutes at most): its exit code and its output (stdout, then stderr).</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null,
        Dictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? [])
        {
            if (v is null) start.Environment.Remove(k); else start.Environment[k] = v;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
