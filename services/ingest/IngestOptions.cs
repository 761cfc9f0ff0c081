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

    /// <summary>
    /// The largest training cost a spec may ask for, as trees × leaves per tree (default 10,000,000: e.g. 10,000 trees of 1,000
    /// leaves); a spec asking for more gets 400 at PUT.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxTreeLeaves { get; set; } = 10_000_000;

    /// <summary>
    /// The most columns an upload's header may name (default 10,000); more get 422 before anything is stored. Sized so that
    /// validation's per-column state fits its memory budget (<c>Validate:MemoryBudgetMiB</c>).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxColumns { get; set; } = 10_000;
}
