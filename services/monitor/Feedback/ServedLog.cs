using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Monitor;

/// <summary>One served row as feedback needs it: which model answered, its inputs by column name, and its answer.</summary>
public sealed record ServedRow(Guid RunId, int Version, string Pipeline, IReadOnlyList<string> Numeric, IReadOnlyList<string> Text, float[] Values, string[] Texts, string Output);

/// <summary>
/// The served rows feedback can be given for: the last <c>Monitor:ServedRowsKept</c> (500,000), by prediction ID. Each
/// PredictionsServed batch is written to <c>pipelines/{p}/served/</c> before it counts as received (so a batch the broker
/// redelivers after a failed write is not lost), read back when monitor starts (<see cref="RestoreAsync"/>), and trimmed to
/// the rows kept whenever half as many again have been written, with the labels of rows no longer remembered.
/// <c>Monitor:KeepServedRows</c> false keeps them in memory only.
/// </summary>
public sealed class ServedLog(IArtifactStore store, FeedbackLedger ledger, TimeProvider clock, IOptions<MonitorOptions> options, ILogger<ServedLog> logger)
{
    readonly int _capacity = options.Value.ServedRowsKept;
    readonly ConcurrentDictionary<string, ServedRow> _served = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> _order = new();
    readonly ConcurrentDictionary<string, long> _rowsSincePrune = new(StringComparer.Ordinal);

    public bool Durable { get; } = options.Value.KeepServedRows;
    public int Capacity => _capacity;

    public bool TryGet(string predictionId, out ServedRow row) => _served.TryGetValue(predictionId, out row!);

    /// <summary>Remembers served rows, in the store first.</summary>
    public async Task RememberAsync(PredictionsServed m, CancellationToken ct)
    {
        if (Durable && m.Predictions.Count > 0)
        {
            var key = $"{ArtifactKeys.Served(m.Pipeline)}{clock.GetUtcNow():yyyyMMddTHHmmssfffZ}-{m.Predictions.Count:D7}-{Guid.NewGuid():N}.json";
            await store.PutJsonAsync(key, m, ct);
            if (_rowsSincePrune.AddOrUpdate(m.Pipeline, m.Predictions.Count, (_, n) => n + m.Predictions.Count) >= _capacity / 2)
            {
                _rowsSincePrune[m.Pipeline] = 0;
                await PruneAsync(m.Pipeline, ct);
            }
        }
        Remember(m);
    }

    void Remember(PredictionsServed m)
    {
        var text = m.TextFeatures ?? [];
        foreach (var p in m.Predictions)
        {
            if (!_served.TryAdd(p.PredictionId, new ServedRow(m.RunId, m.Version, m.Pipeline, m.Features, text, p.Values, p.Texts ?? [], p.Output))) continue;
            _order.Enqueue(p.PredictionId);
        }
        while (_served.Count > _capacity && _order.TryDequeue(out var oldest)) _served.TryRemove(oldest, out _);
    }

    /// <summary>The rows in a served-log file, from its name (<c>{time}-{rows}-{id}.json</c>); null for a file monitor did not write.</summary>
    static int? RowsIn(string key)
    {
        var parts = key[(key.LastIndexOf('/') + 1)..].Split('-');
        return parts.Length == 3 && parts[2].EndsWith(".json", StringComparison.Ordinal) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) ? rows : null;
    }

    /// <summary>The served-log files of a pipeline, oldest first (files of other shapes left out).</summary>
    async Task<List<(string Key, int Rows)>> FilesAsync(string pipeline, CancellationToken ct) =>
        [.. (await store.ListAsync(ArtifactKeys.Served(pipeline), ct)).Select(k => (Key: k, Rows: RowsIn(k))).Where(f => f.Rows is not null).Select(f => (f.Key, f.Rows!.Value))];

    /// <summary>Drops the oldest served-log files beyond the rows kept, and the labels of rows no longer remembered.</summary>
    async Task PruneAsync(string pipeline, CancellationToken ct)
    {
        var files = await FilesAsync(pipeline, ct);
        long rows = 0;
        string? oldestKept = null;
        for (var i = files.Count - 1; i >= 0; i--)
        {
            if (rows >= _capacity) await store.DeleteAsync(files[i].Key, ct);
            else (rows, oldestKept) = (rows + files[i].Rows, files[i].Key);
        }
        if (oldestKept is not null) await ledger.ForgetBeforeAsync(pipeline, LogFiles.WrittenAt(oldestKept), ct);
    }

    /// <summary>Reads back the newest served rows of these pipelines (up to the rows kept); returns how many.</summary>
    public async Task<long> RestoreAsync(IEnumerable<string> pipelines, CancellationToken ct)
    {
        long rows = 0;
        if (!Durable) return rows;
        foreach (var pipeline in pipelines)
        {
            var files = await FilesAsync(pipeline, ct);
            var first = files.Count;
            for (long kept = 0; first > 0 && kept < _capacity; first--) kept += files[first - 1].Rows;
            foreach (var (key, _) in files.Skip(first))
            {
                if (await LogFiles.ReadOrSkipAsync<PredictionsServed>(store, key, logger, ct) is not { } batch) continue;
                Remember(batch);
                rows += batch.Predictions.Count;
            }
        }
        return rows;
    }
}
