using System.ComponentModel.DataAnnotations;

namespace MlOps.Deploy;

/// <summary>Bound from <c>Deploy</c>.</summary>
public sealed class DeployOptions
{
    /// <summary>Largest infer request body in bytes; larger ones get 413.</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBytes { get; set; } = 16 << 20;

    /// <summary>Served predictions waiting to be sent to monitor; beyond this they are dropped (and counted), never blocking a request.</summary>
    [Range(16, 10_000_000)]
    public int PredictionLogCapacity { get; set; } = 100_000;

    /// <summary>
    /// Threads one infer call may use in ONNX Runtime (idle ones do not spin). 1: concurrent requests run side by side, which
    /// serves the most rows per second; more lowers one large batch's latency when requests are few. 0: ONNX Runtime's default.
    /// </summary>
    [Range(0, 256)]
    public int ScoringThreadsPerRequest { get; set; } = 1;

    /// <summary>Most rows in one PredictionsServed message.</summary>
    [Range(1, 100_000)]
    public int PredictionLogBatch { get; set; } = 500;

    /// <summary>How often each replica reads every deployment record again, to catch up with a change it did not hear of.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcileEvery { get; set; } = TimeSpan.FromSeconds(30);
}
