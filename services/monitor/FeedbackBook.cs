using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Monitor;

public record FeedbackItem(string? PredictionId, JsonElement Label);
public record FeedbackRejection(string? PredictionId, string Reason);
public record LivePerformance(Guid RunId, int Version, string Metric, double Live, double Holdout, double Tolerance, int Rows, bool Dropped);
public record FeedbackResult(int Accepted, IReadOnlyList<FeedbackRejection> Rejected, string? StoredAs, IReadOnlyList<LivePerformance> Performance);

/// <summary>What feedback asks of the pipeline: a performance drop to announce, a retrain to start.</summary>
public record FeedbackActions(IReadOnlyList<PerformanceDropped> Drops, IReadOnlyList<RetrainRequested> Retrains);

/// <summary>
/// Ground truth by prediction ID. Remembers the last <c>Monitor:ServedRowsKept</c> (500,000) served rows (from
/// PredictionsServed); takes labels for them once each, checked against the model (a class it knows; a finite number for
/// regression); stores every accepted batch as labelled production rows (<c>pipelines/{p}/feedback/*.csv</c>, the dataset's
/// own column names) for retraining; keeps a sliding window of (answer, truth) per serving run, compared with the run's
/// hold-out metric; and counts labelled rows for the data-volume trigger.
/// A restart forgets none of it: each served batch is written to <c>pipelines/{p}/served/</c> before it counts as received,
/// and each accepted label to <c>pipelines/{p}/feedback-log/</c> after its rows are stored; a starting monitor reads both
/// back (<see cref="RestoreAsync"/>) before it takes feedback. The served log is trimmed to the rows kept whenever half as
/// many again have been written. <c>Monitor:KeepServedRows</c> false keeps them in memory only.
/// </summary>
public sealed class FeedbackBook(IArtifactStore store, DriftMonitor monitor, TimeProvider clock, IConfiguration configuration, ILogger<FeedbackBook> logger)
{
    readonly int _capacity = configuration.GetValue("Monitor:ServedRowsKept", 500_000);
    readonly bool _durable = configuration.GetValue("Monitor:KeepServedRows", true);
    readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, long> _rowsSincePrune = new(StringComparer.Ordinal);

    /// <summary>One label taken, as the feedback log keeps it: enough to rebuild the performance window and refuse it twice.</summary>
    sealed record Labelled(string PredictionId, Guid RunId, string Output, string Truth);

    sealed record Served(Guid RunId, int Version, string Pipeline, IReadOnlyList<string> Numeric, IReadOnlyList<string> Text, float[] Values, string[] Texts, string Output);

    sealed class RunState
    {
        public Queue<(string Output, string Truth)> Window { get; } = new();
        public long Labelled { get; private set; }

        /// <summary>One label taken for the run: into the sliding window of the last <paramref name="window"/>, and counted.</summary>
        public void Take(string output, string truth, int window)
        {
            Window.Enqueue((output, truth));
            while (Window.Count > window) Window.Dequeue();
            Labelled++;
        }

        public bool DropAnnounced { get; set; }
        public bool VolumeRequested { get; set; }
    }

    readonly ConcurrentDictionary<string, Served> _served = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> _order = new();
    readonly ConcurrentDictionary<string, byte> _labelled = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Guid, RunState> _runs = new();
    readonly ConcurrentDictionary<Guid, (PipelineSpec Spec, ModelCard Card)> _models = new();

    /// <summary>Remembers served rows, in the store first (so a batch the broker redelivers after a failed write is not lost).</summary>
    public async Task RememberAsync(PredictionsServed m, CancellationToken ct)
    {
        if (_durable && m.Predictions.Count > 0)
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
            if (!_served.TryAdd(p.PredictionId, new Served(m.RunId, m.Version, m.Pipeline, m.Features, text, p.Values, p.Texts ?? [], p.Output))) continue;
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

    /// <summary>When a served-log or feedback-log file was written: its name up to the first '-' (<c>yyyyMMddTHHmmssfffZ</c>, ordinal order is time order).</summary>
    static string WrittenAt(string key) => key[(key.LastIndexOf('/') + 1)..].Split('-')[0];

    /// <summary>The served-log files of a pipeline, oldest first (files of other shapes left out).</summary>
    async Task<List<(string Key, int Rows)>> ServedFilesAsync(string pipeline, CancellationToken ct) =>
        [.. (await store.ListAsync(ArtifactKeys.Served(pipeline), ct)).Select(k => (Key: k, Rows: RowsIn(k))).Where(f => f.Rows is not null).Select(f => (f.Key, f.Rows!.Value))];

    /// <summary>Drops the oldest served-log files beyond the rows kept, and the labels of rows no longer remembered.</summary>
    async Task PruneAsync(string pipeline, CancellationToken ct)
    {
        var files = await ServedFilesAsync(pipeline, ct);
        long rows = 0;
        string? oldestKept = null;
        for (var i = files.Count - 1; i >= 0; i--)
        {
            if (rows >= _capacity) await store.DeleteAsync(files[i].Key, ct);
            else (rows, oldestKept) = (rows + files[i].Rows, files[i].Key);
        }
        if (oldestKept is null) return;
        var since = WrittenAt(oldestKept);
        foreach (var key in await store.ListAsync(ArtifactKeys.FeedbackLedger(pipeline), ct))
            if (string.CompareOrdinal(WrittenAt(key), since) < 0) await store.DeleteAsync(key, ct);
    }

    /// <summary>A file of the served log or the feedback log, or null (logged) when it cannot be read: one bad file costs its own rows only.</summary>
    async Task<T?> ReadOrSkipAsync<T>(string key, CancellationToken ct) where T : class
    {
        try
        {
            return await store.GetJsonAsync<T>(key, ct);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or ArtifactNotFoundException)
        {
            logger.LogWarning("Skipped {Key} while restoring feedback memory: {Error}", key, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Reads back what a previous run of monitor remembered for these pipelines: the newest served rows (up to the rows kept),
    /// then the labels already taken for them, which refill each run's performance window and labelled count. A drop or a
    /// volume threshold already reached counts as announced, so a restart does not ask for the same retrain again. Feedback
    /// waits until this is done.
    /// </summary>
    public async Task RestoreAsync(IReadOnlyList<string> pipelines, CancellationToken ct)
    {
        try
        {
            if (!_durable) return;
            long rows = 0, labels = 0;
            foreach (var pipeline in pipelines.Distinct(StringComparer.Ordinal))
            {
                var files = await ServedFilesAsync(pipeline, ct);
                var first = files.Count;
                for (long kept = 0; first > 0 && kept < _capacity; first--) kept += files[first - 1].Rows;
                foreach (var (key, _) in files.Skip(first))
                {
                    if (await ReadOrSkipAsync<PredictionsServed>(key, ct) is not { } batch) continue;
                    Remember(batch);
                    rows += batch.Predictions.Count;
                }
                foreach (var key in await store.ListAsync(ArtifactKeys.FeedbackLedger(pipeline), ct))
                    foreach (var label in await ReadOrSkipAsync<List<Labelled>>(key, ct) ?? [])
                    {
                        if (!_served.ContainsKey(label.PredictionId) || !_labelled.TryAdd(label.PredictionId, 0)) continue;
                        var (spec, _) = await ModelAsync(label.RunId, ct);
                        _runs.GetOrAdd(label.RunId, _ => new RunState()).Take(label.Output, label.Truth, spec.Performance.Window);
                        labels++;
                    }
            }
            foreach (var (runId, state) in _runs)
            {
                var (spec, card) = await ModelAsync(runId, ct);
                state.DropAnnounced = Measure(state, spec, card, 0) is { Dropped: true };
                state.VolumeRequested = spec.Triggers.NewRows is int threshold && state.Labelled >= threshold;
            }
            if (rows > 0) logger.LogInformation("Feedback memory restored: {Rows} served rows, {Labels} labels already taken", rows, labels);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not read back the served rows and labels of the previous run; feedback for rows served before this start will be refused as unknown");
        }
        finally
        {
            _restored.TrySetResult();
        }
    }

    public async Task<(FeedbackResult Result, FeedbackActions Actions)> AddAsync(string pipeline, IReadOnlyList<FeedbackItem> items, CancellationToken ct)
    {
        await _restored.Task.WaitAsync(ct);
        var rejected = new List<FeedbackRejection>();
        var accepted = new List<(Served Row, string Truth, string PredictionId)>();
        foreach (var item in items)
        {
            if (string.IsNullOrWhiteSpace(item.PredictionId) || item.PredictionId.Length > 100)
            {
                rejected.Add(new(item.PredictionId, "predictionId is missing or not an ID infer handed out."));
                continue;
            }
            if (!_served.TryGetValue(item.PredictionId, out var row) || row.Pipeline != pipeline)
            {
                rejected.Add(new(item.PredictionId, $"Unknown prediction of '{pipeline}' (monitor keeps the last {_capacity:N0} served rows)."));
                continue;
            }
            var (_, card) = await ModelAsync(row.RunId, ct);
            if (LabelOf(item.Label, card) is not { } truth)
            {
                rejected.Add(new(item.PredictionId, card.Task == ModelTask.Regression
                    ? $"The label must be a finite number for this regression model, not {item.Label.GetRawText()}."
                    : $"The label must be one of the model's classes ({string.Join(", ", card.Classes)}), not {item.Label.GetRawText()}."));
                continue;
            }
            if (!_labelled.TryAdd(item.PredictionId, 0))
            {
                rejected.Add(new(item.PredictionId, "This prediction already has its label; the first one counts."));
                continue;
            }
            accepted.Add((row, truth, item.PredictionId));
        }

        string? storedAs = null;
        if (accepted.Count > 0)
        {
            try
            {
                storedAs = await StoreAsync(pipeline, accepted, ct);
                if (_durable)
                    await store.PutJsonAsync($"{ArtifactKeys.FeedbackLedger(pipeline)}{Path.GetFileNameWithoutExtension(storedAs)}.json",
                        accepted.Select(a => new Labelled(a.PredictionId, a.Row.RunId, a.Row.Output, a.Truth)).ToList(), ct);
            }
            catch
            {
                foreach (var a in accepted) _labelled.TryRemove(a.PredictionId, out _); // not taken: the same labels may be sent again
                throw;
            }
        }

        var performance = new List<LivePerformance>();
        var drops = new List<PerformanceDropped>();
        var retrains = new List<RetrainRequested>();
        foreach (var group in accepted.GroupBy(a => a.Row.RunId))
        {
            var (spec, card) = await ModelAsync(group.Key, ct);
            var state = _runs.GetOrAdd(group.Key, _ => new RunState());
            LivePerformance? live;
            lock (state)
            {
                foreach (var (row, truth, _) in group) state.Take(row.Output, truth, spec.Performance.Window);
                live = Measure(state, spec, card, group.First().Row.Version);
                if (live is { Dropped: true } && !state.DropAnnounced)
                {
                    state.DropAnnounced = true;
                    drops.Add(new PerformanceDropped(card.RunId, pipeline, live.Version, live.Metric, live.Live, live.Holdout, live.Tolerance, live.Rows));
                    // A canary's drop rolls it back (deploy does that); only the production model is retrained.
                    if (spec.Performance.RetrainOnDrop && monitor.Status(pipeline)?.RunId == card.RunId)
                        retrains.Add(new RetrainRequested(Guid.NewGuid(), pipeline, Trigger.Performance,
                            $"Live {live.Metric} of v{live.Version} over the last {live.Rows} labelled predictions is {live.Live:0.####}, against {live.Holdout:0.####} on its hold-out rows (tolerance {live.Tolerance}).", card.RunId));
                }
                if (spec.Triggers.NewRows is int threshold && state.Labelled >= threshold && !state.VolumeRequested)
                {
                    state.VolumeRequested = true;
                    retrains.Add(new RetrainRequested(Guid.NewGuid(), pipeline, Trigger.DataVolume,
                        $"{state.Labelled} labelled production rows arrived since v{group.First().Row.Version} was trained (triggers.newRows {threshold}).", card.RunId));
                }
            }
            if (live is not null) performance.Add(live);
        }
        logger.LogInformation("Feedback for {Pipeline}: {Accepted} accepted, {Rejected} rejected", pipeline, accepted.Count, rejected.Count);
        return (new FeedbackResult(accepted.Count, rejected, storedAs, performance), new FeedbackActions(drops, retrains));
    }

    static string? LabelOf(JsonElement label, ModelCard card)
    {
        var text = label.ValueKind switch
        {
            JsonValueKind.String => label.GetString(),
            JsonValueKind.Number => label.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => label.GetRawText(),
            _ => null,
        };
        if (text is null) return null;
        if (card.Task == ModelTask.Regression)
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var y) && double.IsFinite(y) ? y.ToString("R", CultureInfo.InvariantCulture) : null;
        return card.Classes.Contains(text) ? text : null;
    }

    static LivePerformance? Measure(RunState state, PipelineSpec spec, ModelCard card, int version)
    {
        if (state.Window.Count < spec.Performance.MinFeedback) return null;
        var rows = state.Window.ToList();
        if (card.Task == ModelTask.Regression)
        {
            if (!card.Metrics.TryGetValue("rmse", out var holdout)) return null;
            var rmse = Math.Sqrt(rows.Average(r => Math.Pow(double.Parse(r.Output, CultureInfo.InvariantCulture) - double.Parse(r.Truth, CultureInfo.InvariantCulture), 2)));
            return new LivePerformance(card.RunId, version, "rmse", Math.Round(rmse, 6), holdout, spec.Performance.Tolerance, rows.Count,
                rmse > holdout * (1 + spec.Performance.Tolerance));
        }
        if (!card.Metrics.TryGetValue("accuracy", out var expected)) return null;
        var accuracy = rows.Count(r => r.Output == r.Truth) / (double)rows.Count;
        return new LivePerformance(card.RunId, version, "accuracy", Math.Round(accuracy, 6), expected, spec.Performance.Tolerance, rows.Count,
            accuracy < expected - spec.Performance.Tolerance);
    }

    async Task<(PipelineSpec Spec, ModelCard Card)> ModelAsync(Guid runId, CancellationToken ct)
    {
        if (_models.TryGetValue(runId, out var known)) return known;
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        return _models[runId] = (spec, card);
    }

    /// <summary>One file per accepted batch: the rows as served (the dataset's column names) with their true target.</summary>
    async Task<string> StoreAsync(string pipeline, List<(Served Row, string Truth, string PredictionId)> accepted, CancellationToken ct)
    {
        var (_, card) = await ModelAsync(accepted[0].Row.RunId, ct);
        using var text = new StringWriter();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var (row, truth, _) in accepted)
            {
                using var line = writer.NewRow();
                for (var i = 0; i < row.Numeric.Count; i++)
                    line[row.Numeric[i]].Set(float.IsNaN(row.Values[i]) ? "" : row.Values[i].ToString("R", CultureInfo.InvariantCulture));
                for (var i = 0; i < row.Text.Count; i++) line[row.Text[i]].Set(row.Texts[i]);
                line[card.Target].Set(truth);
            }
        }
        var key = $"{ArtifactKeys.Feedback(pipeline)}{clock.GetUtcNow():yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}.csv";
        await store.PutTextAsync(key, text.ToString(), "text/csv", ct);
        return key;
    }
}
