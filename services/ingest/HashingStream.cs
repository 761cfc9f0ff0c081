using System.Security.Cryptography;

namespace MlOps.Ingest;

/// <summary>More bytes were written than the limit allows.</summary>
public sealed class LimitExceededException(long limit) : Exception($"More than {limit} bytes were written.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Writes through to <paramref name="inner"/> while counting and hashing (SHA-256) what passes, and throws
/// <see cref="LimitExceededException"/> before the byte past <paramref name="limit"/>: how ingest spools an upload, and the
/// CSV it makes from a Parquet upload, in one pass.
/// </summary>
public sealed class HashingStream(Stream inner, long limit) : Stream
{
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Written { get; private set; }

    /// <summary>The SHA-256 of everything written, in lower-case hex.</summary>
    public string Sha256() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    void Account(ReadOnlySpan<byte> buffer)
    {
        if (Written + buffer.Length > limit) throw new LimitExceededException(limit);
        Written += buffer.Length;
        _hash.AppendData(buffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Account(buffer);
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Account(buffer.Span);
        await inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
