using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>A model version being served: its scorer (a thread-safe ONNX Runtime session) and where it came from.</summary>
public sealed record DeployedModel(string Pipeline, int Version, Guid RunId, OnnxScorer Scorer, DateTimeOffset DeployedAt)
{
    /// <summary>How this version has served since it was loaded: what a canary is judged by against production.</summary>
    public ServingStats Stats { get; } = new();
}

/// <summary>Requests answered, requests whose scoring failed, and their total latency; updated lock-free by every request.</summary>
public sealed class ServingStats
{
    long _requests, _errors, _microseconds;
    public long Requests => Interlocked.Read(ref _requests);
    public long Errors => Interlocked.Read(ref _errors);
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
    public double MeanLatencyMs => Requests == 0 ? 0 : Interlocked.Read(ref _microseconds) / 1000.0 / Requests;

    public void Record(TimeSpan latency, bool failed)
    {
        Interlocked.Increment(ref _requests);
        if (failed) Interlocked.Increment(ref _errors);
        Interlocked.Add(ref _microseconds, (long)latency.TotalMicroseconds);
    }

    /// <summary>The counts now: what a replica's report subtracts its last one from.</summary>
    public (long Requests, long Errors, long Microseconds) Snapshot() => (Requests, Errors, Interlocked.Read(ref _microseconds));

    /// <summary>Adds counts reported by a replica (the judge's totals over every replica).</summary>
    public void Add(long requests, long errors, long microseconds)
    {
        Interlocked.Add(ref _requests, requests);
        Interlocked.Add(ref _errors, errors);
        Interlocked.Add(ref _microseconds, microseconds);
    }
}
