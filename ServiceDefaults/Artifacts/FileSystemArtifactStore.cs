namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>The embedded store: one folder, the same keys as S3. Writes go to a temporary file and are renamed into place.</summary>
public sealed class FileSystemArtifactStore : IArtifactStore
{
    readonly string _root;

    public FileSystemArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        var path = PathOf(key);
        StoreCalls.Record(StoreCalls.Operation.Put);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + $".{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await content.CopyToAsync(file, ct);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        StoreCalls.Record(StoreCalls.Operation.Get);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactNotFoundException(key);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        StoreCalls.Record(StoreCalls.Operation.Head);
        return Task.FromResult(File.Exists(path));
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        StoreCalls.Record(StoreCalls.Operation.Delete);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        ValidateKey(prefix, allowTrailingSlash: true);
        StoreCalls.Record(StoreCalls.Operation.List);
        // Only the folder the prefix names (up to its last '/') is walked, not the whole store.
        var folder = Path.Combine(_root, prefix[..(prefix.LastIndexOf('/') + 1)].Replace('/', Path.DirectorySeparatorChar));
        IReadOnlyList<string> keys = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(p => !p.EndsWith(".partial", StringComparison.Ordinal))
                .Select(p => Path.GetRelativePath(_root, p).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        return Task.FromResult(keys);
    }

    public string Describe() => $"filesystem:{_root}";

    string PathOf(string key)
    {
        ValidateKey(key, allowTrailingSlash: false);
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>Keys come from run IDs and validated pipeline names, but the store refuses anything that could leave its root.</summary>
    internal static void ValidateKey(string key, bool allowTrailingSlash)
    {
        if (key.Length == 0 && allowTrailingSlash) return;
        if (string.IsNullOrWhiteSpace(key) || key.StartsWith('/') || key.Contains('\\') || key.Contains('\0')
            || key.Split('/').Any(s => s is "." or ".." || (s.Length == 0 && !allowTrailingSlash))
            || (!allowTrailingSlash && key.EndsWith('/')))
        {
            throw new ArgumentException($"'{key}' is not a valid artifact key.", nameof(key));
        }
    }
}
