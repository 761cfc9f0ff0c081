using System.Data.Common;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>
/// The distributed store: any S3 endpoint (MinIO in production) through the Minio client.
/// Connection string: <c>Endpoint=http://host:9000;AccessKey=…;SecretKey=…;Bucket=mlops</c>.
/// Reads are spooled to a temporary file so a large object never sits in memory and callers get a seekable stream.
/// </summary>
public sealed class MinioArtifactStore : IArtifactStore
{
    readonly IMinioClient _client;
    readonly string _bucket;
    readonly Uri _endpoint;
    readonly SemaphoreSlim _bucketReady = new(1, 1);
    bool _bucketChecked;

    public MinioArtifactStore(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string Get(string name) => parts.TryGetValue(name, out var v) && v is string s && s.Length > 0
            ? s
            : throw new InvalidOperationException($"ConnectionStrings:artifacts lacks '{name}'. Expected Endpoint=http://host:port;AccessKey=…;SecretKey=…;Bucket=…");
        _endpoint = new Uri(Get("Endpoint"));
        _bucket = parts.TryGetValue("Bucket", out var b) && b is string bs && bs.Length > 0 ? bs : "mlops";
        _client = new MinioClient()
            .WithEndpoint(_endpoint.Host, _endpoint.Port)
            .WithCredentials(Get("AccessKey"), Get("SecretKey"))
            .WithSSL(_endpoint.Scheme == Uri.UriSchemeHttps)
            .WithRetryPolicy(new TransientRetry())
            .Build();
    }

    /// <summary>
    /// Retries a request that failed on the way (connection reset, timeout, a 5xx — S3's InternalError and SlowDown among
    /// them, which S3 asks clients to retry; s3rver answered a listing InternalError under the scale benchmark's load — or an
    /// error answer with no body, which the Minio client itself fails to parse), three times with growing pauses. S3 requests are idempotent, and
    /// "not found" or "access denied" are answers, not failures: they are not retried.
    /// </summary>
    sealed class TransientRetry : Minio.Handlers.IRetryPolicyHandler
    {
        public async Task<Minio.DataModel.Result.ResponseResult> Handle(Func<Task<Minio.DataModel.Result.ResponseResult>> executeRequestCallback)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await executeRequestCallback();
                }
                catch (Exception e) when (attempt < 4 && (e is HttpRequestException or IOException or NullReferenceException or ConnectionException or InternalServerException
                                                          || e is MinioException { ServerResponse.StatusCode: >= System.Net.HttpStatusCode.InternalServerError }))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt * attempt));
                }
            }
        }
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        // S3 needs the length up front; spool a non-seekable stream to disk rather than into memory.
        Stream source = content;
        string? spool = null;
        try
        {
            if (!content.CanSeek)
            {
                spool = Path.GetTempFileName();
                source = new FileStream(spool, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
                await content.CopyToAsync(source, ct);
                source.Position = 0;
            }
            await _client.PutObjectAsync(new PutObjectArgs()
                .WithBucket(_bucket)
                .WithObject(key)
                .WithStreamData(source)
                .WithObjectSize(source.Length - source.Position)
                .WithContentType(contentType), ct);
        }
        finally
        {
            if (spool is not null) await source.DisposeAsync();
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            await _client.GetObjectAsync(new GetObjectArgs()
                .WithBucket(_bucket)
                .WithObject(key)
                // A connection cut mid-answer can hand the callback no stream: that is the store out of reach, not a bug.
                .WithCallbackStream(async (s, token) => await (s ?? throw new HttpRequestException($"The store's answer for {key} had no body: the connection was cut."))
                    .CopyToAsync(file, token)), ct);
            file.Position = 0;
            return file;
        }
        catch (Exception e) when (e is ObjectNotFoundException or BucketNotFoundException)
        {
            await file.DisposeAsync();
            throw new ArtifactNotFoundException(key);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        try
        {
            await _client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(key), ct);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        await _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject(key), ct); // S3 answers a missing key with success
    }

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(prefix, allowTrailingSlash: true);
        await EnsureBucketAsync(ct);
        var keys = new List<string>();
        await foreach (var item in _client.ListObjectsEnumAsync(
            new ListObjectsArgs().WithBucket(_bucket).WithPrefix(prefix).WithRecursive(true), ct))
        {
            if (!item.IsDir) keys.Add(item.Key);
        }
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public string Describe() => $"s3:{_endpoint.GetLeftPart(UriPartial.Authority)}/{_bucket}";

    async Task EnsureBucketAsync(CancellationToken ct)
    {
        if (_bucketChecked) return;
        await _bucketReady.WaitAsync(ct);
        try
        {
            if (_bucketChecked) return;
            if (!await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), ct))
            {
                try
                {
                    await _client.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket), ct);
                }
                catch (MinioException)
                {
                    // Another service may have created it between our check and our create; anything else is real.
                    if (!await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), ct)) throw;
                }
            }
            _bucketChecked = true;
        }
        finally
        {
            _bucketReady.Release();
        }
    }
}
