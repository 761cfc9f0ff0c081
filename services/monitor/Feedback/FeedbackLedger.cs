using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>One label taken, as the feedback log keeps it: enough to rebuild the performance window and refuse it twice.</summary>
public sealed record Labelled(string PredictionId, Guid RunId, string Output, string Truth);

/// <summary>
/// The labels taken (<c>pipelines/{p}/feedback-log/</c>, one file per accepted batch, written after its rows are stored), so a
/// restarted monitor refuses a label twice and refills each model's performance window.
/// </summary>
public sealed class FeedbackLedger(IArtifactStore store, ILogger<FeedbackLedger> logger)
{
    public Task AppendAsync(string pipeline, string batchName, IReadOnlyList<Labelled> labels, CancellationToken ct) =>
        store.PutJsonAsync($"{ArtifactKeys.FeedbackLedger(pipeline)}{batchName}.json", labels, ct);

    public async Task<IReadOnlyList<Labelled>> ReadAsync(string pipeline, CancellationToken ct)
    {
        var labels = new List<Labelled>();
        foreach (var key in await store.ListAsync(ArtifactKeys.FeedbackLedger(pipeline), ct))
            labels.AddRange(await LogFiles.ReadOrSkipAsync<List<Labelled>>(store, key, logger, ct) ?? []);
        return labels;
    }

    /// <summary>Drops the label files written before <paramref name="writtenAt"/> (their rows are no longer remembered).</summary>
    public async Task ForgetBeforeAsync(string pipeline, string writtenAt, CancellationToken ct)
    {
        foreach (var key in await store.ListAsync(ArtifactKeys.FeedbackLedger(pipeline), ct))
            if (string.CompareOrdinal(LogFiles.WrittenAt(key), writtenAt) < 0) await store.DeleteAsync(key, ct);
    }
}
