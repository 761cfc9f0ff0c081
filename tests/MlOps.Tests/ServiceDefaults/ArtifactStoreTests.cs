namespace MlOps.Tests;

/// <summary>Both stores keep the same contract: the filesystem one here, the Minio one against a real S3 endpoint (s3rver).</summary>
public class ArtifactStoreTests
{
    public static TheoryData<string> Stores => new() { "filesystem", "s3" };

    static IArtifactStore Create(string kind) => kind == "filesystem"
        ? new FileSystemArtifactStore(TestInfra.TempDirectory())
        : new MinioArtifactStore(TestInfra.Artifacts);

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
