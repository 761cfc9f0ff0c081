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
}
