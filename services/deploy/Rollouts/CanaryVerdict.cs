namespace MlOps.Deploy;

/// <summary>
/// The canary's verdict once it has answered its minimum of predictions: rolled back when its error rate is higher than
/// production's by more than a point, or (from 100 requests on each side: fewer are mostly a fresh session's first calls)
/// its mean latency more than 1.5× production's plus a millisecond; promoted otherwise (its accuracy is judged by feedback,
/// which rolls it back through PerformanceDropped at any time).
/// </summary>
public static class CanaryVerdict
{
    public static (bool Promote, string Reason) Judge(ServingStats canary, ServingStats production)
    {
        if (canary.ErrorRate > production.ErrorRate + 0.01)
            return (false, $"error rate {canary.ErrorRate:P2} against production's {production.ErrorRate:P2}");
        const int latencySample = 100;
        if (canary.Requests >= latencySample && production.Requests >= latencySample && canary.MeanLatencyMs > production.MeanLatencyMs * 1.5 + 1)
            return (false, $"mean latency {canary.MeanLatencyMs:0.###} ms against production's {production.MeanLatencyMs:0.###} ms");
        return (true, $"error rate {canary.ErrorRate:P2} (production {production.ErrorRate:P2}), mean latency {canary.MeanLatencyMs:0.###} ms (production {production.MeanLatencyMs:0.###} ms)");
    }
}
