using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace MlOps.Scoring;

/// <summary>
/// Chooses once per process between ONNX Runtime's CUDA execution provider and the CPU: CUDA when the GPU build is
/// deployed and a device answers, CPU otherwise. The choice is logged and reported in health and model metadata.
/// </summary>
public static class ExecutionProvider
{
    static readonly Lazy<string> Chosen = new(Probe);
    static string _reason = "";

    /// <summary>"cuda" or "cpu".</summary>
    public static string Name => Chosen.Value;

    public static string Reason { get { _ = Chosen.Value; return _reason; } }

    /// <summary>
    /// Session options on the chosen provider. <paramref name="threadsPerCall"/> &gt; 0 caps the threads one call may use and
    /// stops idle ones spinning: a server answering many requests at once is better off running them side by side, one
    /// thread each, than splitting each across cores whose spinning steals time from the others (0: ONNX Runtime's default,
    /// every core, for one big call at a time such as the training-time check).
    /// </summary>
    public static SessionOptions CreateOptions(int threadsPerCall = 0)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threadsPerCall > 0)
        {
            options.IntraOpNumThreads = threadsPerCall;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }
        if (Name == "cuda") options.AppendExecutionProvider_CUDA(0);
        return options;
    }

    public static void Report(ILogger logger) =>
        logger.LogInformation("ONNX Runtime execution provider: {Provider} ({Reason})", Name, Reason);

    static string Probe()
    {
        if (Environment.GetEnvironmentVariable("MLOPS_DISABLE_GPU") is "1" or "true")
        {
            _reason = "GPU disabled by MLOPS_DISABLE_GPU";
            return "cpu";
        }
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            _reason = "CUDA device 0";
            return "cuda";
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException)
        {
            _reason = $"no CUDA: {e.Message.Split('\n')[0]}";
            return "cpu";
        }
    }
}
