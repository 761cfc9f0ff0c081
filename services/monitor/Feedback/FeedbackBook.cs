using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Monitor;

public record FeedbackItem(string? PredictionId, JsonElement Label);
public record FeedbackRejection(string? PredictionId, string Reason);
public record FeedbackResult(int Accepted, IReadOnlyList<FeedbackRejection> Rejected, string? StoredAs, IReadOnlyList<LivePerformance> Performance);

/// <summary>What feedback asks of the pipeline: a performance drop to announce, a retrain to start.</summary>
public record FeedbackActions(IReadOnlyList<PerformanceDropped> Drops, IReadOnlyList<RetrainRequested> Retrains);

/// <summary>
/// Ground truth by prediction ID: takes labels for served rows (<see cref="ServedLog"/>) once each, checked against the model
/// (a class it knows; a finite number for regression); stores every accepted batch as labelled production rows
/// (<c>pipelines/{p}/feedback/*.csv</c>, the dataset's own column names) for retraining and in the feedback log
/// (<see cref="FeedbackLedger"/>); keeps each serving model's <see cref="PerformanceWindow"/>; and hands what the labels
/// show to <see cref="FeedbackTriggers"/>. A starting monitor reads the served rows and the labels back
/// (<see cref="RestoreAsync"/>) before it takes feedback.
/// </summary>
public sealed class FeedbackBook(IArtifactStore store, ServedLog served, FeedbackLedger ledger, Watches watches, TimeProvider clock, ILogger<FeedbackBook> logger)
{
    readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, byte> _labelled = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Guid, PerformanceWindow> _runs = new();
    readonly ConcurrentDictionary<Guid, (PipelineSpec Spec, ModelCard Card)> _models = new();

    /// <summary>
    /// Reads back what a previous run of monitor remembered for these pipelines: the newest served rows, then the labels already
    /// taken for them, which refill each model's performance window and labelled count; what the triggers had already reached
    /// counts as announced. Feedback waits until this is done.
    /// </summary>
    public async Task RestoreAsync(IReadOnlyList<string> pipelines, CancellationToken ct)
    {
        try
        {
            if (!served.Durable) return;
            var distinct = pipelines.Distinct(StringComparer.Ordinal).ToList();
            var rows = await served.RestoreAsync(distinct, ct);
            long labels = 0;
            foreach (var pipeline in distinct)
                foreach (var label in await ledger.ReadAsync(pipeline, ct))
                {
                    if (!served.TryGet(label.PredictionId, out _) || !_labelled.TryAdd(label.PredictionId, 0)) continue;
                    var (spec, _) = await ModelAsync(label.RunId, ct);
                    _runs.GetOrAdd(label.RunId, _ => new PerformanceWindow()).Take(label.Output, label.Truth, spec.Performance.Window);
                    labels++;
                }
            foreach (var (runId, window) in _runs)
            {
                var (spec, card) = await ModelAsync(runId, ct);
                FeedbackTriggers.Restore(spec, card, window);
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

    /// <summary>Labelled production rows of a model so far (what a deferred drift retrain waits for).</summary>
    public long LabelledFor(Guid runId) => _runs.TryGetValue(runId, out var window) ? window.Labelled : 0; // a long read whole on 64-bit

    public async Task<(FeedbackResult Result, FeedbackActions Actions)> AddAsync(string pipeline, IReadOnlyList<FeedbackItem> items, CancellationToken ct)
    {
        await _restored.Task.WaitAsync(ct);
        var rejected = new List<FeedbackRejection>();
        var accepted = new List<(ServedRow Row, string Truth, string PredictionId)>();
        foreach (var item in items)
        {
            if (string.IsNullOrWhiteSpace(item.PredictionId) || item.PredictionId.Length > 100)
            {
                rejected.Add(new(item.PredictionId, "predictionId is missing or not an ID infer handed out."));
                continue;
            }
            if (!served.TryGet(item.PredictionId, out var row) || row.Pipeline != pipeline)
            {
                rejected.Add(new(item.PredictionId, $"Unknown prediction of '{pipeline}' (monitor keeps the last {served.Capacity:N0} served rows)."));
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
                if (served.Durable)
                    await ledger.AppendAsync(pipeline, Path.GetFileNameWithoutExtension(storedAs),
                        [.. accepted.Select(a => new Labelled(a.PredictionId, a.Row.RunId, a.Row.Output, a.Truth))], ct);
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
            var window = _runs.GetOrAdd(group.Key, _ => new PerformanceWindow());
            var version = group.First().Row.Version;
            LivePerformance? live;
            lock (window)
            {
                foreach (var (row, truth, _) in group) window.Take(row.Output, truth, spec.Performance.Window);
                live = window.Measure(spec, card, version);
                FeedbackTriggers.Decide(pipeline, spec, card, window, live, version, watches.Get(pipeline)?.RunId == card.RunId, drops, retrains);
            }
            if (live is not null) performance.Add(live);
            // A drift retrain deferred for want of new data starts once enough labels of the watched model are in.
            if (watches.Get(pipeline) is { } watch && watch.RunId == group.Key)
            {
                RetrainRequested? resumed;
                lock (watch) resumed = DriftTrigger.Resume(pipeline, watch, LabelledFor(group.Key), clock.GetUtcNow());
                if (resumed is not null)
                {
                    retrains.Add(resumed);
                    await watches.SaveAsync(pipeline, watch, ct);
                }
            }
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

    async Task<(PipelineSpec Spec, ModelCard Card)> ModelAsync(Guid runId, CancellationToken ct)
    {
        if (_models.TryGetValue(runId, out var known)) return known;
        var spec = await store.GetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
        var card = await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        return _models[runId] = (spec, card);
    }

    /// <summary>One file per accepted batch: the rows as served (the dataset's column names) with their true target.</summary>
    async Task<string> StoreAsync(string pipeline, List<(ServedRow Row, string Truth, string PredictionId)> accepted, CancellationToken ct)
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
