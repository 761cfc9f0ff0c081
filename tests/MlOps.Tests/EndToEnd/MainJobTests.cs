using System.Diagnostics;

namespace MlOps.Tests;

/// <summary>
/// The README's first command, as a user runs it: the Embedded binary's <c>run</c> job on a sample, in a fresh folder. It
/// must deploy and score rows for the numeric walk-through sample (with its spec beside it) and for the customer table
/// with text, gaps, an ID and a date (no spec).
/// </summary>
public class MainJobTests
{
    [Theory]
    [InlineData("classification.csv")]
    [InlineData("customers.csv")]
    public async Task TheMainJobDeploysTheSampleAndScoresRows(string sample)
    {
        var dll = Path.Combine(TestInfra.RepositoryRoot, "Embedded", "bin", ServiceProcess.Configuration, "net10.0", "MlOps.Embedded.dll");
        Assert.True(File.Exists(dll), $"Build the solution first ({dll} is missing).");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" run \"{TestInfra.Sample(sample)}\"")
        {
            WorkingDirectory = TestInfra.TempDirectory(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var job = Process.Start(info)!;
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await job.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true);
        }
        var said = await output + await errors;
        Assert.True(job.ExitCode == 0, said);
        Assert.Contains("] deployed", said);
        Assert.Contains("serves /v2/models/", said);
        Assert.Contains("row 5: predicted", said);
    }

    /// <summary>
    /// A run cancelled while the job waits for it ends the job at once, with an error code and the reason: the job stops on
    /// every status the lifecycle calls terminal (it waited out its ten minutes on a cancelled run before).
    /// </summary>
    [Fact]
    public async Task TheMainJobReturnsAtOnceWithAnErrorWhenItsRunIsCancelled()
    {
        var folder = TestInfra.TempDirectory();
        var (csv, spec) = await RunRecoveryTests.SlowRunAsync(folder, slowValidation: false);
        await File.WriteAllTextAsync(Path.ChangeExtension(csv, ".pipeline.json"), spec);
        var dll = Path.Combine(TestInfra.RepositoryRoot, "Embedded", "bin", ServiceProcess.Configuration, "net10.0", "MlOps.Embedded.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" run \"{csv}\"")
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var job = Process.Start(info)!;
        var said = new System.Text.StringBuilder();
        var errors = job.StandardError.ReadToEndAsync();
        string? address = null;
        Guid? run = null;
        try
        {
            using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            {
                while (await job.StandardOutput.ReadLineAsync(limit.Token) is { } line)
                {
                    said.AppendLine(line);
                    if (line.StartsWith("MlOps embedded at ", StringComparison.Ordinal)) address = line["MlOps embedded at ".Length..].Split(' ')[0];
                    if (line.StartsWith("run ", StringComparison.Ordinal)) run = Guid.Parse(line[4..36]);
                    if (line.Contains("] training", StringComparison.Ordinal)) break;
                }
            }
            Assert.True(address is not null && run is not null, said.ToString());
            using var client = TestInfra.Client(new Uri(address!), (await File.ReadAllTextAsync(Path.Combine(folder, ".mlops", "admin.key"))).Trim());
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/runs/{run:N}/cancel", new { reason = "wrong data" })).StatusCode);
            var clock = Stopwatch.StartNew();
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                await job.WaitForExitAsync(limit.Token);
            said.Append(await job.StandardOutput.ReadToEndAsync()).Append(await errors);
            Assert.NotEqual(0, job.ExitCode);
            Assert.Contains("cancelled", said.ToString());
            Assert.Contains("wrong data", said.ToString());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), said.ToString());
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Asking for help, or a command it does not know, answers at once and starts nothing (no server, no admin key).</summary>
    [Theory]
    [InlineData("--help", 0, "run <data.csv> [pipeline]")]
    [InlineData("-h", 0, "run <data.csv> [pipeline]")]
    [InlineData("runn data.csv", 2, "unknown command 'runn'")]
    [InlineData("run", 2, "give the CSV to run")]
    public async Task HelpAndUnknownCommandsAnswerWithoutStartingAnything(string arguments, int exitCode, string said)
    {
        var folder = TestInfra.TempDirectory();
        var dll = Path.Combine(TestInfra.RepositoryRoot, "Embedded", "bin", ServiceProcess.Configuration, "net10.0", "MlOps.Embedded.dll");
        using var job = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await job.WaitForExitAsync(limit.Token);
            }
            finally
            {
                if (!job.HasExited) job.Kill(entireProcessTree: true);
            }
        }
        var text = await output + await errors;
        Assert.Equal(exitCode, job.ExitCode);
        Assert.Contains(said, text);
        Assert.False(Directory.Exists(Path.Combine(folder, ".mlops")), $"'{arguments}' made .mlops/: {text}");
    }
}
