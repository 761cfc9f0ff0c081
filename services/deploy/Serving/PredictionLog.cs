using System.Diagnostics.Metrics;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using MlOps.Contracts;

namespace MlOps.Deploy;

/// <summary>
/// Sends what was served to monitor off the request path: requests write into a bounded channel and never wait;
/// a background loop batches by model version and publishes PredictionsServed. When monitor or the broker cannot keep
/// up, new entries are dropped and counted (<c>mlops.predictions.dropped</c>, and in the log) rather than slowing serving.
/// </summary>
public sealed class PredictionLog(IBus bus, IOptions<DeployOptions> options, ILogger<PredictionLog> logger) : BackgroundService
{
    static readonly Meter Meter = new("MlOps");
    static readonly Counter<long> Dropped = Meter.CreateCounter<long>("mlops.predictions.dropped");

    // One entry per request (its rows together); the bound is kept in rows by _pending, so a 1,000-row request costs one write.
    readonly Channel<(DeployedModel Model, ServedPrediction[] Rows)> _channel =
        Channel.CreateUnbounded<(DeployedModel, ServedPrediction[])>(new UnboundedChannelOptions { SingleReader = true });

    long _dropped, _pending;

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void Add(DeployedModel model, ServedPrediction[] rows)
    {
        if (Interlocked.Add(ref _pending, rows.Length) <= options.Value.PredictionLogCapacity && _channel.Writer.TryWrite((model, rows))) return;
        Interlocked.Add(ref _pending, -rows.Length);
        Dropped.Add(rows.Length);
        var before = Interlocked.Add(ref _dropped, rows.Length) - rows.Length;
        if (before / 1000 != (before + rows.Length) / 1000 || before == 0)
            logger.LogWarning("Prediction log full: {Dropped} predictions dropped so far (monitor or the broker is behind)", DroppedCount);
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var batch = new List<(DeployedModel Model, ServedPrediction Row)>();
        var max = options.Value.PredictionLogBatch;
        while (await _channel.Reader.WaitToReadAsync(ct))
        {
            // Give a burst a moment to gather so monitor gets few, full messages.
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            while (batch.Count < max * 8 && _channel.Reader.TryRead(out var item))
            {
                Interlocked.Add(ref _pending, -item.Rows.Length);
                foreach (var row in item.Rows) batch.Add((item.Model, row));
            }
            foreach (var group in batch.GroupBy(b => b.Model))
            {
                var m = group.Key;
                foreach (var chunk in group.Select(g => g.Row).Chunk(max))
                {
                    try
                    {
                        var card = m.Scorer.Card;
                        await bus.Publish(new PredictionsServed(m.RunId, m.Pipeline, m.Version, card.Features, chunk, [.. card.TextInputs]), ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Dropped.Add(chunk.Length);
                        Interlocked.Add(ref _dropped, chunk.Length);
                        logger.LogError(e, "Could not send {Count} served predictions of {Pipeline} to monitor", chunk.Length, m.Pipeline);
                    }
                }
            }
            batch.Clear();
        }
    }
}
