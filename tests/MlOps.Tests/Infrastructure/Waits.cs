namespace MlOps.Tests;

/// <summary>Waiting for the running app: how long a run may take, polling until a condition holds, serving the sample file.</summary>
public static class Waits
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Scores the first rows of a file (the classification sample unless named) through infer; returns each row's prediction ID and answer as text.</summary>
    public static async Task<(List<string> Ids, List<string> Answers)> ServeAsync(EmbeddedApp mlops, string pipeline, int rows, string? path = null)
    {
        var answers = await PipelineCalls.InferCsvAsync(mlops.Client, pipeline, path ?? TestInfra.Sample("classification.csv"));
        var ids = answers.SelectMany(a => a.GetProperty("parameters").GetProperty("prediction_ids").EnumerateArray().Select(x => x.GetString()!)).Take(rows).ToList();
        var labels = answers.SelectMany(a => a.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(x => x.ToString())).Take(rows).ToList();
        return (ids, labels);
    }

    /// <summary>
    /// Moves the clock and waits until monitor's scheduler has looked at the pipeline since (its <c>clockCheckedAt</c> changed):
    /// the positive signal that lets a test then assert that nothing was due, instead of sleeping and hoping.
    /// </summary>
    /// <param name="nudge">
    /// Moves the clock by one scheduler tick when no check shows for a while: a tick whose work failed (it is retried at the
    /// next tick, which a fake clock never reaches by itself) would otherwise wait forever. The checks' outcomes are the same.
    /// </param>
    public static async Task<JsonElement> AfterClockCheckAsync(HttpClient client, string pipeline, Action advance, Action? nudge = null)
    {
        async Task<JsonElement> Status() => await client.GetFromJsonAsync<JsonElement>($"/monitor/{pipeline}");
        var before = (await Status()).GetProperty("clockCheckedAt").ToString();
        advance();
        JsonElement now = default;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await Eventually(async () =>
        {
            if ((now = await Status()).GetProperty("clockCheckedAt") is { ValueKind: JsonValueKind.String } at && at.ToString() != before) return true;
            if (nudge is not null && waited.Elapsed > TimeSpan.FromSeconds(15)) { nudge(); waited.Restart(); }
            return false;
        });
        return now;
    }

    public static async Task Eventually(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(RunTimeout);
        while (!await condition()) await Task.Delay(100, cts.Token);
    }
}
