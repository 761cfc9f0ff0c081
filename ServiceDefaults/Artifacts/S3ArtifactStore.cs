using System.Data.Common;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace MlOps.ServiceDefaults.Artifacts;

/// <summary>
/// The distributed store: any S3 endpoint (MinIO, Amazon S3, …) through the AWS SDK, path-style.
/// Connection string: <c>Endpoint=http://host:9000;AccessKey=…;SecretKey=…;Bucket=mlops[;Region=us-east-1][;PathStyle=false]</c>
/// (path-style addressing by default, as MinIO and most S3-compatible stores want; <c>PathStyle=false</c> for Amazon S3's
/// virtual-hosted style).
/// One request per call and nothing hidden: the bucket is made once per process, a read is one GET (the Minio client
/// this replaced checked the bucket before every call and sent a HEAD before every GET, 2.4× the round trips; see
/// README "Stack"). Reads are spooled to a temporary file so a large object never sits in memory and callers get a
/// seekable stream. Every request is counted (<see cref="StoreCalls"/>). Failures that mean the store is out of reach
/// leave as <see cref="HttpRequestException"/> (retried for minutes by the stages, <see cref="Messaging.TransientFailure"/>).
/// </summary>
public sealed class S3ArtifactStore : IArtifactStore, IDisposable
{
    readonly AmazonS3Client _client;
    readonly string _bucket;
    readonly Uri _endpoint;
    readonly SemaphoreSlim _bucketReady = new(1, 1);
    volatile bool _bucketChecked;

    public S3ArtifactStore(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? Optional(string name) => parts.TryGetValue(name, out var v) && v is string s && s.Length > 0 ? s : null;
        string Get(string name) => Optional(name)
            ?? throw new InvalidOperationException($"ConnectionStrings:artifacts lacks '{name}'. Expected Endpoint=http://host:port;AccessKey=…;SecretKey=…;Bucket=…");
        _endpoint = Uri.TryCreate(Get("Endpoint"), UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"
            ? endpoint
            : throw new InvalidOperationException($"ConnectionStrings:artifacts has Endpoint '{Get("Endpoint")}', which is not an http:// or https:// address.");
        _bucket = Optional("Bucket") ?? "mlops";
        _client = new AmazonS3Client(new BasicAWSCredentials(Get("AccessKey"), Get("SecretKey")), new AmazonS3Config
        {
            ServiceURL = _endpoint.GetLeftPart(UriPartial.Authority),
            ForcePathStyle = !string.Equals(Optional("PathStyle"), "false", StringComparison.OrdinalIgnoreCase),
            AuthenticationRegion = Optional("Region") ?? "us-east-1",
            // Checksums only where S3 requires them: S3-compatible stores (MinIO's older releases, s3rver) do not all
            // understand the SDK's default trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // The SDK's standard retry: 5xx (InternalError, SlowDown), throttling and cut connections, with backoff.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 3,
            Timeout = TimeSpan.FromMinutes(10),
            HttpClientFactory = new CountingClients(_bucket),
        });
    }

    /// <summary>The SDK's HTTP clients, each with <see cref="StoreCallCounter"/> in front, so every request is counted.</summary>
    sealed class CountingClients(string bucket) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new StoreCallCounter(bucket)) { Timeout = clientConfig.Timeout ?? TimeSpan.FromMinutes(10) };
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        // S3 needs the length up front (and the signature the payload's hash): spool a non-seekable stream to disk, not memory.
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
            await Call(() => _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket, Key = key, InputStream = source, ContentType = contentType,
                AutoCloseStream = false, UseChunkEncoding = false,
            }, ct));
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
            using var answer = await Call(() => _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, ct));
            await answer.ResponseStream.CopyToAsync(file, ct);
            // An answer cut short is the store going away, not a shorter object.
            if (answer.ContentLength >= 0 && file.Length != answer.ContentLength)
                throw new HttpRequestException($"The store's answer for {key} ended after {file.Length} of {answer.ContentLength} bytes: the connection was cut.");
            file.Position = 0;
            return file;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await file.DisposeAsync();
            throw new ArtifactNotFoundException(key);
        }
        catch (IOException e)
        {
            await file.DisposeAsync();
            throw new HttpRequestException($"Reading {key} from the store failed mid-way: {e.Message}", e);
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
            await Call(() => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, ct));
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(key, allowTrailingSlash: false);
        await EnsureBucketAsync(ct);
        await Call(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, ct)); // S3 answers a missing key with success
    }

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        FileSystemArtifactStore.ValidateKey(prefix, allowTrailingSlash: true);
        await EnsureBucketAsync(ct);
        var keys = new List<string>();
        string? next = null;
        do
        {
            var page = await Call(() => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, ContinuationToken = next }, ct));
            if (page.S3Objects is { } objects) keys.AddRange(objects.Select(o => o.Key).Where(k => !k.EndsWith('/')));
            next = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (next is not null);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public string Describe() => $"s3:{_endpoint.GetLeftPart(UriPartial.Authority)}/{_bucket}";

    public void Dispose() => _client.Dispose();

    /// <summary>The bucket is made once per process (a 409 means another service made it first), not checked on every call.</summary>
    async Task EnsureBucketAsync(CancellationToken ct)
    {
        if (_bucketChecked) return;
        await _bucketReady.WaitAsync(ct);
        try
        {
            if (_bucketChecked) return;
            try
            {
                await Call(() => _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, ct));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Conflict || e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
            }
            _bucketChecked = true;
        }
        finally
        {
            _bucketReady.Release();
        }
    }

    /// <summary>
    /// The store's own answers ("not found", "access denied", a conflict) stay <see cref="AmazonS3Exception"/>s; a 5xx after
    /// the SDK's retries, or no answer at all, means the store is out of reach and leaves as <see cref="HttpRequestException"/>.
    /// </summary>
    async Task<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (AmazonServiceException e) when (e.StatusCode >= HttpStatusCode.InternalServerError || (e.StatusCode == 0 && e is not AmazonS3Exception { ErrorCode.Length: > 0 }))
        {
            throw new HttpRequestException($"The object store at {Describe()} answered {(int)e.StatusCode} {e.ErrorCode}: {e.Message}", e, e.StatusCode);
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            throw new HttpRequestException($"The object store at {Describe()} could not be reached: {e.Message}", e);
        }
    }
}
