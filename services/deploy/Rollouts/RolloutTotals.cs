using System.Collections.Concurrent;
using MlOps.Contracts;

namespace MlOps.Deploy;

/// <summary>
/// One canary's or shadow's counts over every replica, as the judge adds them up: predictions answered, the canary's and
/// production's requests, errors and latency, rows a shadow compared, agreed on and failed. Starts from the deployment
/// record's counts (the last checkpoint), so a judge that takes over goes on from there.
/// </summary>
public sealed class RolloutTotal(Guid runId, PendingRollout? recorded)
{
    public Guid RunId { get; } = runId;
    long _served = recorded?.RunId == runId ? recorded.Served : 0;
    long _compared = recorded?.RunId == runId ? recorded.Compared : 0;
    long _agreed = recorded?.RunId == runId ? recorded.Agreed : 0;
    long _failed = recorded?.RunId == runId ? recorded.Failed : 0;
    public long Served => Interlocked.Read(ref _served);
    public long Compared => Interlocked.Read(ref _compared);
    public long Agreed => Interlocked.Read(ref _agreed);
    public long Failed => Interlocked.Read(ref _failed);
    public ServingStats Canary { get; } = new();
    public ServingStats Production { get; } = new();

    /// <summary>How far the rollout has got: what a checkpoint is written for when it moved.</summary>
    public long Progress => Served + Compared + Failed;
    public long CheckpointedProgress { get; set; } = -1;
    public DateTimeOffset CheckpointedAt { get; set; }

    public void Add(RolloutCounted m)
    {
        Interlocked.Add(ref _served, m.Served);
        Canary.Add(m.CanaryRequests, m.CanaryErrors, m.CanaryMicroseconds);
        Production.Add(m.ProductionRequests, m.ProductionErrors, m.ProductionMicroseconds);
        Interlocked.Add(ref _compared, m.Compared);
        Interlocked.Add(ref _agreed, m.Agreed);
        Interlocked.Add(ref _failed, m.Failed);
    }
}

/// <summary>
/// The judge's totals, per pipeline, for the rollout it is judging. Held by whichever replica consumes the reports (one at
/// a time: <c>RolloutCountedConsumer</c>); every other replica's is empty. One decision at a time (<see cref="Deciding"/>),
/// whatever the endpoint's concurrency.
/// </summary>
public sealed class RolloutTotals
{
    readonly ConcurrentDictionary<string, RolloutTotal> _byPipeline = new(StringComparer.Ordinal);

    public SemaphoreSlim Deciding { get; } = new(1, 1);

    public RolloutTotal? Of(string pipeline, Guid runId) => _byPipeline.TryGetValue(pipeline, out var t) && t.RunId == runId ? t : null;

    public RolloutTotal Start(string pipeline, Guid runId, PendingRollout? recorded) => _byPipeline[pipeline] = new RolloutTotal(runId, recorded);

    public void Forget(string pipeline) => _byPipeline.TryRemove(pipeline, out _);

    public IReadOnlyList<(string Pipeline, RolloutTotal Total)> All => [.. _byPipeline.Select(kv => (kv.Key, kv.Value))];
}
