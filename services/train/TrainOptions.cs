using System.ComponentModel.DataAnnotations;

namespace MlOps.Train;

/// <summary>Bound from <c>Train</c>.</summary>
public sealed class TrainOptions
{
    /// <summary>
    /// The most cells (rows × features) one training may hold (default 500,000,000: about 2 GB of features in memory); a
    /// larger dataset ends the run failed, saying so, before it is read.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxCells { get; set; } = 500_000_000;
}
