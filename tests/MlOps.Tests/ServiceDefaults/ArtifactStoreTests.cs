namespace MlOps.Tests;

/// <summary>Both stores keep the same contract: the filesystem one here, the S3 one against a real S3 endpoint (s3rver).</summary>
public class ArtifactStoreTests
{
    public static TheoryData<string> Stores => new() { "filesystem", "s3" };

    static IArtifactStore Create(string kind) => kind == "filesystem"
        ? new FileSystemArtifactStore(TestInfra.TempDirectory())
        : new S3ArtifactStore(TestInfra.Artifacts);

    [Theory, MemberData(nameof(Stores))]
    public async Task StoresReadsListsAndReplacesObjectsUnderRunKeys(string kind)
    {
        var store = Create(kind);
        var run = Guid.NewGuid();
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,2\n");
        await store.PutAsync(ArtifactKeys.Dataset(run), new MemoryStream(bytes), "text/csv", default);
        await store.PutJsonAsync(ArtifactKeys.Metrics(run), new Dictionary<string, double> { ["accuracy"] = 0.9 }, default);

        Assert.True(await store.ExistsAsync(ArtifactKeys.Dataset(run), default));
        Assert.False(await store.ExistsAsync(ArtifactKeys.Onnx(run), default));
        await using (var read = await store.OpenReadAsync(ArtifactKeys.Dataset(run), default))
        {
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        Assert.Equal([ArtifactKeys.Dataset(run), ArtifactKeys.Metrics(run)], await store.ListAsync(ArtifactKeys.Run(run), default));
        Assert.Equal(0.9, (await store.GetJsonAsync<Dictionary<string, double>>(ArtifactKeys.Metrics(run), default))["accuracy"]);
        await Assert.ThrowsAsync<ArtifactNotFoundException>(() => store.OpenReadAsync(ArtifactKeys.Onnx(run), default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task DeletesObjectsAndListsByAPrefixThatEndsMidName(string kind)
    {
        var store = Create(kind);
        var pipeline = "p" + Guid.NewGuid().ToString("N");
        foreach (var name in new[] { "served/a.json", "served/b.json", "seen.json", "feedback/c.csv" })
            await store.PutTextAsync($"pipelines/{pipeline}/{name}", name, "text/plain", default);
        Assert.Equal([$"pipelines/{pipeline}/seen.json", $"pipelines/{pipeline}/served/a.json", $"pipelines/{pipeline}/served/b.json"],
            await store.ListAsync($"pipelines/{pipeline}/se", default));

        await store.DeleteAsync($"pipelines/{pipeline}/served/a.json", default);
        await store.DeleteAsync($"pipelines/{pipeline}/served/a.json", default); // gone already: no error
        await store.DeleteAsync($"pipelines/{pipeline}/never/was.json", default);
        Assert.False(await store.ExistsAsync($"pipelines/{pipeline}/served/a.json", default));
        Assert.Equal([$"pipelines/{pipeline}/served/b.json"], await store.ListAsync($"pipelines/{pipeline}/served/", default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync("../outside", default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task StreamsANonSeekableBodyOfSeveralMegabytes(string kind)
    {
        var store = Create(kind);
        var key = ArtifactKeys.Dataset(Guid.NewGuid());
        var data = new byte[6 << 20];
        new Random(1).NextBytes(data);
        await store.PutAsync(key, new NonSeekable(new MemoryStream(data)), "application/octet-stream", default);
        await using var read = await store.OpenReadAsync(key, default);
        Assert.Equal(data.Length, read.Length);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.True(data.AsSpan().SequenceEqual(copy.ToArray()));
    }

    /// <summary>
    /// A store call is one request, and each is counted by operation, for the work under way (the per-run figure) and on
    /// the <c>mlops.store.calls</c> counter: S3 counted on the wire, so a request the client made on its own (a bucket check
    /// before each call, a HEAD before each GET, as the Minio client did) would show here. A fresh bucket is made once.
    /// </summary>
    [Theory, MemberData(nameof(Stores))]
    public async Task EachCallIsOneRequestCountedByOperation(string kind)
    {
        var bucket = "calls-" + Guid.NewGuid().ToString("N")[..12];
        IArtifactStore store = kind == "filesystem" ? Create(kind) : new S3ArtifactStore(WithBucket(TestInfra.Artifacts, bucket));
        long counted = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StoreCalls.MeterName && instrument.Name == "mlops.store.calls") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        listener.Start();

        var tally = StoreCalls.Begin();
        var run = Guid.NewGuid();
        await store.PutTextAsync(ArtifactKeys.Metrics(run), "{}", "application/json", default);
        await using (await store.OpenReadAsync(ArtifactKeys.Metrics(run), default)) { }
        await store.PutTextAsync(ArtifactKeys.Gate(run), "{}", "application/json", default);
        await using (await store.OpenReadAsync(ArtifactKeys.Gate(run), default)) { }
        Assert.True(await store.ExistsAsync(ArtifactKeys.Metrics(run), default));
        Assert.False(await store.ExistsAsync(ArtifactKeys.Onnx(run), default));
        Assert.Equal(2, (await store.ListAsync(ArtifactKeys.Run(run), default)).Count);
        await store.DeleteAsync(ArtifactKeys.Gate(run), default);
        await Assert.ThrowsAsync<ArtifactNotFoundException>(() => store.OpenReadAsync(ArtifactKeys.Gate(run), default));

        var expected = new Dictionary<string, long> { ["get"] = 3, ["head"] = 2, ["put"] = 2, ["list"] = 1, ["delete"] = 1 };
        if (kind == "s3") expected["bucket"] = 1; // made once per process, never checked again
        Assert.Equal(expected.OrderBy(kv => kv.Key), tally.ByOperation().OrderBy(kv => kv.Key));
        Assert.True(Interlocked.Read(ref counted) >= expected.Values.Sum(), $"the counter saw {counted}");
        // Each event carries its own share: asked again for the same message, the same share; for the next, only what came after.
        var published = new object();
        Assert.Equal(StoreCalls.Format(tally.ByOperation()), tally.ShareOf(published));
        Assert.Equal(StoreCalls.Format(tally.ByOperation()), tally.ShareOf(published));
        await store.ExistsAsync(ArtifactKeys.Metrics(run), default);
        Assert.Equal("head=1", tally.ShareOf(new object()));
        Assert.Equal(expected.OrderBy(kv => kv.Key), StoreCalls.Parse(StoreCalls.Format(expected))!.OrderBy(kv => kv.Key));
        Assert.Null(StoreCalls.Parse("get=two"));
        Assert.Null(StoreCalls.Parse("teleport=1"));
    }

    /// <summary>The counter reads a request the same way whichever addressing the store uses: path-style or virtual-hosted.</summary>
    [Theory]
    [InlineData("HEAD", "http://127.0.0.1:9000/mlops/runs/a/model.onnx", "head")]
    [InlineData("GET", "http://127.0.0.1:9000/mlops/runs/a/model.onnx", "get")]
    [InlineData("PUT", "http://127.0.0.1:9000/mlops/runs/a/model.onnx", "put")]
    [InlineData("DELETE", "http://127.0.0.1:9000/mlops/runs/a/model.onnx", "delete")]
    [InlineData("GET", "http://127.0.0.1:9000/mlops?list-type=2&prefix=runs%2F", "list")]
    [InlineData("GET", "http://127.0.0.1:9000/mlops/?list-type=2&prefix=runs%2F", "list")]
    [InlineData("PUT", "http://127.0.0.1:9000/mlops", "bucket")]
    [InlineData("HEAD", "http://127.0.0.1:9000/mlops/", "bucket")]
    [InlineData("GET", "http://127.0.0.1:9000/mlops?location", "bucket")]
    [InlineData("HEAD", "https://mlops.s3.eu-west-1.amazonaws.com/runs/a/model.onnx", "head")]
    [InlineData("GET", "https://mlops.s3.eu-west-1.amazonaws.com/model.onnx", "get")]
    [InlineData("GET", "https://mlops.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=runs%2F", "list")]
    [InlineData("PUT", "https://mlops.s3.eu-west-1.amazonaws.com/", "bucket")]
    public void TheCounterNamesEachRequestsOperation(string method, string url, string operation) =>
        Assert.Equal(operation, StoreCalls.Name(StoreCallCounter.OperationOf(new HttpRequestMessage(new HttpMethod(method), url), "mlops")));

    [Fact]
    public async Task AStoreOutOfReachFailsAsAServiceOutOfReachNamingIt()
    {
        using var store = new S3ArtifactStore("Endpoint=http://127.0.0.1:9;AccessKey=a;SecretKey=b;Bucket=gone");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => store.ExistsAsync(ArtifactKeys.Metrics(Guid.NewGuid()), default));
        Assert.True(MlOps.ServiceDefaults.Messaging.TransientFailure.Is(e), e.ToString());
        Assert.Contains("object store", e.Message);
    }

    [Theory]
    [InlineData("Endpoint=ftp://host;AccessKey=a;SecretKey=b", "not an http:// or https:// address")]
    [InlineData("Endpoint=http://host:9000;SecretKey=b", "lacks 'AccessKey'")]
    public void AMalformedConnectionStringFailsAtStartNamingThePart(string connection, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => new S3ArtifactStore(connection));
        Assert.Contains(message, e.Message);
    }

    static string WithBucket(string connection, string bucket) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection, ["Bucket"] = bucket }.ConnectionString;

    [Theory]
    [InlineData("../escape")]
    [InlineData("runs/../../etc/passwd")]
    [InlineData("/absolute")]
    [InlineData("runs//double")]
    [InlineData("")]
    public async Task RefusesKeysThatCouldLeaveTheStore(string key)
    {
        var store = new FileSystemArtifactStore(TestInfra.TempDirectory());
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, new MemoryStream([1]), "x", default));
    }

    sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
