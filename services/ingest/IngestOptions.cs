using System.ComponentModel.DataAnnotations;

namespace MlOps.Ingest;

/// <summary>Bound from <c>Ingest</c>.</summary>
public sealed class IngestOptions
{
    /// <summary>The largest upload accepted, in bytes (default 4 GiB). Larger uploads get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 4L << 30;
}
