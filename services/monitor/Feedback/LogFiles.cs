using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>
/// The shape shared by the served log and the feedback log: one JSON file per batch, named <c>{yyyyMMddTHHmmssfffZ}-…</c> so
/// that ordinal order is time order; a file that cannot be read costs its own contents only.
/// </summary>
static class LogFiles
{
    /// <summary>When a log file was written: its name up to the first '-'.</summary>
    public static string WrittenAt(string key) => key[(key.LastIndexOf('/') + 1)..].Split('-')[0];

    /// <summary>A log file's contents, or null (logged) when it cannot be read.</summary>
    public static async Task<T?> ReadOrSkipAsync<T>(IArtifactStore store, string key, ILogger logger, CancellationToken ct) where T : class
    {
        try
        {
            return await store.GetJsonAsync<T>(key, ct);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or ArtifactNotFoundException)
        {
            logger.LogWarning("Skipped {Key} while restoring feedback memory: {Error}", key, e.Message);
            return null;
        }
    }
}
