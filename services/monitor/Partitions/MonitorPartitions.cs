using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Options;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Monitor;

/// <summary>
/// Divides pipelines among monitor replicas (issue 16 item 2). A pipeline belongs to partition <see cref="Of"/> (a hash of
/// its name, <c>Monitor:Partitions</c> of them); each partition has a queue, <c>monitor-partition-{k}</c>, with a single active
/// consumer on RabbitMQ: exactly one replica receives its messages at a time, and when that replica goes RabbitMQ hands the
/// queue to another. Every pipeline-scoped message (served rows, deployments, retirements, feedback, status questions) is
/// sent to its partition's queue, so a pipeline's windows, schedule, cooldown and feedback live in the one replica that owns
/// it. A replica learns it owns a partition by receiving from its queue (every replica sends every partition a
/// <see cref="PartitionTick"/> every <c>Monitor:PartitionTick</c>): it then reads the partition's pipelines back from the
/// store before handling anything of it, and forgets them when no tick has come for three ticks (another replica owns them now).
/// </summary>
public sealed class MonitorPartitions(Watches watches, FeedbackBook feedback, IOptions<MonitorOptions> options, IConfiguration configuration,
    ILogger<MonitorPartitions> logger)
{
    // On RabbitMQ, through the exchange bound to the queue: sending to "queue:" would declare the queue without its
    // single-active-consumer argument, which the broker refuses for a queue that has it.
    readonly string _scheme = MessagingExtensions.TransportName(configuration) == "rabbitmq" ? "exchange" : "queue";

    readonly ConcurrentDictionary<int, DateTimeOffset> _owned = new();
    readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, options.Value.Partitions).Select(_ => new SemaphoreSlim(1, 1))];

    public int Count { get; } = options.Value.Partitions;

    public int Of(string pipeline) => (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(pipeline)) % (uint)Count);

    public static string QueueName(int partition) => $"monitor-partition-{partition}";

    public Uri Address(string pipeline) => Address(Of(pipeline));

    public Uri Address(int partition) => new($"{_scheme}:{QueueName(partition)}");

    public IReadOnlyCollection<int> Owned => [.. _owned.Keys.Order()];

    /// <summary>
    /// Called before anything of the partition is handled here: the first time (or again after losing it), reads back the
    /// watches and the feedback memory of its pipelines, then notes when it was last heard of.
    /// </summary>
    public async Task OwnAsync(int partition, CancellationToken ct)
    {
        if (_owned.ContainsKey(partition))
        {
            _owned[partition] = DateTimeOffset.UtcNow;
            return;
        }
        await _locks[partition].WaitAsync(ct);
        try
        {
            if (_owned.ContainsKey(partition)) return;
            var watched = (await watches.WatchedBeforeAsync(ct)).Where(w => Of(w.Pipeline) == partition).ToList();
            foreach (var model in watched.Where(w => !w.Retired && watches.Get(w.Pipeline) is null))
            {
                try
                {
                    await watches.RestoreAsync(model, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Could not watch {Pipeline} v{Version} again", model.Pipeline, model.Version);
                }
            }
            await feedback.RestoreAsync([.. watched.Select(w => w.Pipeline)], ct); // retired pipelines too: their served rows may still get labels
            _owned[partition] = DateTimeOffset.UtcNow;
            logger.LogInformation("Monitor partition {Partition} is this replica's: {Pipelines} pipelines watched from here", partition, watched.Count(w => !w.Retired));
        }
        finally
        {
            _locks[partition].Release();
        }
    }

    public Task OwnAsync(string pipeline, CancellationToken ct) => OwnAsync(Of(pipeline), ct);

    /// <summary>
    /// Forgets the partitions no tick came from for three ticks: another replica owns them (this one lost its place in the
    /// queue). On the in-memory bus this process is the only replica, and a slow tick never means another owner.
    /// </summary>
    public void ReleaseStale()
    {
        if (_scheme == "queue") return;
        var before = DateTimeOffset.UtcNow - 3 * options.Value.PartitionTick;
        foreach (var (partition, last) in _owned)
            if (last < before) Release(partition, $"no tick since {last:O}");
    }

    /// <summary>Forgets the partition's pipelines here (their state is in the store, for the new owner).</summary>
    public void Release(int partition, string why)
    {
        if (!_owned.TryRemove(partition, out _)) return;
        var forgotten = watches.Forget(p => Of(p) == partition);
        logger.LogWarning("Monitor partition {Partition} is no longer this replica's ({Why}): {Count} watches left to its new owner", partition, why, forgotten);
    }

    /// <summary>This replica's name among the others: host and process.</summary>
    public static readonly string Instance = $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant();

    readonly ConcurrentDictionary<string, DateTimeOffset> _replicas = new(StringComparer.Ordinal);

    /// <summary>A replica said it is there (<see cref="MonitorAlive"/>, every tick, to every replica).</summary>
    public void Heard(string instance) => _replicas[instance] = DateTimeOffset.UtcNow;

    /// <summary>The replicas heard from in the last three ticks, this one included.</summary>
    public IReadOnlyList<string> Replicas
    {
        get
        {
            var since = DateTimeOffset.UtcNow - 3 * options.Value.PartitionTick;
            return [.. _replicas.Where(r => r.Value >= since).Select(r => r.Key).Append(Instance).Distinct().Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// A partition this replica should hand on, one at a time, while it owns more than its share of them (the partitions
    /// divided by the live replicas, rounded up); null when it holds no more than its share.
    /// </summary>
    public int? OverShare()
    {
        var share = (Count + Replicas.Count - 1) / Replicas.Count;
        var owned = Owned;
        return owned.Count > share ? owned.Max() : null;
    }
}
