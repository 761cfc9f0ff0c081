using System.Net;
using System.Text;

namespace MlOps.Tests;

/// <summary>
/// Memory is bounded by configuration, not by the input (issue 17 item 3), measured as the embedded app's peak resident
/// memory (its own process): a file of 100,000 columns is refused at the door, and one of 8,000 columns is validated with
/// each column's sample cut to fit the validation budget.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class WideFileTests
{
    static string Wide(string folder, int columns, int rows)
    {
        var path = Path.Combine(folder, $"wide-{columns}.csv");
        var random = new Random(3);
        using var writer = new StreamWriter(path);
        writer.WriteLine(string.Join(",", Enumerable.Range(0, columns - 1).Select(i => $"c{i}").Append("target")));
        var line = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            line.Clear();
            for (var c = 0; c < columns - 1; c++) line.Append(random.Next(100)).Append(',');
            writer.WriteLine(line.Append(r % 2).ToString());
        }
        return path;
    }

    [Fact]
    public async Task AHundredThousandColumnsAreRefusedAndEightThousandAreValidatedWithinTheBudget()
    {
        var data = TestInfra.TempDirectory();
        using var app = ServiceProcess.Start("embedded", new()
        {
            ["Artifacts__Path"] = Path.Combine(data, "artifacts"), ["Registry__Database"] = Path.Combine(data, "registry.db"), ["MLOPS_DISABLE_GPU"] = "1",
        });
        using var client = TestInfra.Client(await app.AddressAsync(TimeSpan.FromSeconds(60)));
        client.Timeout = TimeSpan.FromMinutes(5);
        var started = app.PeakResidentBytes;

        var huge = Wide(data, 100_000, 60); // ~17 MB, the shape that once took the app past 12 GB
        using (var content = new StreamContent(File.OpenRead(huge)))
        {
            var refused = await client.PostAsync("/pipelines/wide/datasets", content);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            var problem = await refused.Content.ReadAsStringAsync();
            Assert.Contains("100,000 columns", problem);
            Assert.Contains("Ingest:MaxColumns", problem);
        }
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/runs")).GetArrayLength());
        Assert.True(app.PeakResidentBytes < 1L << 30, $"peak {app.PeakResidentBytes >> 20} MiB after the refusal (started at {started >> 20} MiB)");

        // Validated in full and then rejected (it asks for more rows than it has), so what is measured is validation, not training.
        await PipelineCalls.PutSpecAsync(client, "wide", """{"target":"target","validation":{"minRows":1000}}""");
        var wide = Wide(data, 8_000, 200);
        var run = await PipelineCalls.UploadAsync(client, "wide", wide);
        await Waits.Eventually(async () => await client.GetAsync($"/runs/{run:N}") is { IsSuccessStatusCode: true } answer
            && (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run").GetProperty("status").GetString() is not ("validating" or "requested"));
        Assert.Equal("rejected", (await client.GetFromJsonAsync<JsonElement>($"/runs/{run:N}")).GetProperty("run").GetProperty("status").GetString());
        var validation = await client.GetFromJsonAsync<JsonElement>($"/validation/{run:N}");
        Assert.Equal(200, validation.GetProperty("rows").GetInt64());
        Assert.Equal(8_000, validation.GetProperty("columns").GetArrayLength());
        Assert.Contains("sampled values each for drift", app.Output);
        Assert.True(app.PeakResidentBytes < 3L << 29, $"peak {app.PeakResidentBytes >> 20} MiB validating 8,000 columns (started at {started >> 20} MiB)");
    }
}
