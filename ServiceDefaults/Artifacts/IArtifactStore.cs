namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>
/// The object store every service keeps its artifacts in. Keys are slash-separated (<c>runs/{runId}/model.onnx</c>);
/// a write is all-or-nothing: a reader never sees half an object.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing nothing visible until it is complete.</summary>
    Task PutAsync(string key, Stream content, string contentType, CancellationToken ct);

    /// <summary>Opens the object for reading, or throws <see cref="ArtifactNotFoundException"/>.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);

    /// <summary>Removes the object under <paramref name="key"/>; a key with no object is no error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);

    /// <summary>Every key under <paramref name="prefix"/>, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct);

    /// <summary>What the store is, for logs and health: "filesystem:/path" or "s3:http://host/bucket".</summary>
    string Describe();
}

public sealed class ArtifactNotFoundException(string key)
    : Exception($"No artifact '{key}' in the object store.")
{
    public string Key { get; } = key;
}
