using System.ComponentModel.DataAnnotations;

namespace MlOps.Ingest;

/// <summary>Bound from <c>Ingest</c>.</summary>
public sealed class IngestOptions
{
    /// <summary>The largest upload accepted, in bytes (default 4 GiB). Larger uploads get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>
    /// The most cells (rows × columns) of one Parquet row group converted at once (default 32 Mi, ~0.5 GB of numbers in
    /// memory): a larger row group gets 422 asking for smaller ones.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxParquetRowGroupCells { get; set; } = 32L << 20;
}
