using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>One JSON shape for every JSON artifact: camelCase, enums as strings, indented so people can read them.</summary>
public static class ArtifactStoreJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// The same shape for what people send (a pipeline spec): a key the type does not have is an error, not ignored, so a
    /// typo ('trainr:') is refused instead of silently leaving the defaults in place. Stored artifacts keep <see cref="Options"/>,
    /// so what an older MlOps wrote still reads.
    /// </summary>
    public static readonly JsonSerializerOptions Incoming = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static async Task PutJsonAsync<T>(this IArtifactStore store, string key, T value, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await JsonSerializer.SerializeAsync(buffer, value, Options, ct);
        buffer.Position = 0;
        await store.PutAsync(key, buffer, "application/json", ct);
    }

    public static async Task<T> GetJsonAsync<T>(this IArtifactStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct);
        return await JsonSerializer.DeserializeAsync<T>(stream, Options, ct)
            ?? throw new InvalidDataException($"Artifact '{key}' holds JSON null.");
    }

    public static async Task<T?> TryGetJsonAsync<T>(this IArtifactStore store, string key, CancellationToken ct) where T : class
    {
        try
        {
            return await store.GetJsonAsync<T>(key, ct);
        }
        catch (ArtifactNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The spec a run runs with: the one its event carried, else (a message from an older MlOps, a person's approval) the one
    /// stored under the run.
    /// </summary>
    public static async Task<MlOps.Contracts.PipelineSpec> RunSpecAsync(this IArtifactStore store, Guid runId, MlOps.Contracts.PipelineSpec? carried, CancellationToken ct) =>
        carried ?? await store.GetJsonAsync<MlOps.Contracts.PipelineSpec>(ArtifactKeys.Spec(runId), ct);

    /// <summary>An artifact's whole content (a model file, say), for code that needs bytes rather than a stream.</summary>
    public static async Task<byte[]> ReadAllBytesAsync(this IArtifactStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    public static async Task PutTextAsync(this IArtifactStore store, string key, string text, string contentType, CancellationToken ct)
    {
        using var buffer = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await store.PutAsync(key, buffer, contentType, ct);
    }
}
