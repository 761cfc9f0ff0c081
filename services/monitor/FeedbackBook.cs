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
/// Ground truth by prediction ID. Remembers the last <see cref="Capacity"/> served rows (from PredictionsServed); takes labels
/// for them once each, checked against the model (a class it knows; a finite number for regression); stores every accepted
/// batch as labelled production rows (<c>pipelines/{p}/feedback/*.csv</c>, the dataset's own column names) for retraining;
/// keeps a sliding window of (answer, truth) per serving run, compared with the run's hold-out metric; and counts labelled
/// rows for the data-volume trigger.
/// </summary>
public sealed class FeedbackBook(IArtifactStore store, DriftMonitor monitor, TimeProvider clock, ILogger<FeedbackBook> logger)
{
    public const int Capacity = 500_000;

    sealed record Served(Guid RunId, int Version, string Pipeline, IReadOnlyList<string> Numeric, IReadOnlyList<string> Text, float[] Values, string[] Texts, string Output);

    sealed class RunState
    {
        public Queue<(string Output, string Truth)> Window { get; } = new();
        public long Labelled { get; set; }
        public bool DropAnnounced { get; set; }
        public bool VolumeRequested { get; set; }
    }

    readonly ConcurrentDictionary<string, Served> _served = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> _order = new();
    readonly ConcurrentDictionary<string, byte> _labelled = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Guid, RunState> _runs = new();
    readonly ConcurrentDictionary<Guid, (PipelineSpec Spec, ModelCard Card)> _models = new();

    public void Remember(PredictionsServed m)
    {
        var text = m.TextFeatures ?? [];
        foreach (var p in m.Predictions)
        {
            if (!_served.TryAdd(p.PredictionId, new Served(m.RunId, m.Version, m.Pipeline, m.Features, text, p.Values, p.Texts ?? [], p.Output))) continue;
            _order.Enqueue(p.PredictionId);
        }
        while (_served.Count > Capacity && _order.TryDequeue(out var oldest)) _served.TryRemove(oldest, out _);
    }

    public async Task<(FeedbackResult Result, FeedbackActions Actions)> AddAsync(string pipeline, IReadOnlyList<FeedbackItem> items, CancellationToken ct)
    {
        var rejected = new List<FeedbackRejection>();
        var accepted = new List<(Served Row, string Truth)>();
        foreach (var item in items)
        {
            if (string.IsNullOrWhiteSpace(item.PredictionId) || item.PredictionId.Length > 100)
            {
                rejected.Add(new(item.PredictionId, "predictionId is missing or not an ID infer handed out."));
                continue;
            }
            if (!_served.TryGetValue(item.PredictionId, out var row) || row.Pipeline != pipeline)
            {
                rejected.Add(new(item.PredictionId, $"Unknown prediction of '{pipeline}' (monitor keeps the last {Capacity:N0} served rows)."));
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
            accepted.Add((row, truth));
        }

        string? storedAs = null;
        if (accepted.Count > 0) storedAs = await StoreAsync(pipeline, accepted, ct);

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
                foreach (var (row, truth) in group)
                {
                    state.Window.Enqueue((row.Output, truth));
                    while (state.Window.Count > spec.Performance.Window) state.Window.Dequeue();
                }
                state.Labelled += group.Count();
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
    async Task<string> StoreAsync(string pipeline, List<(Served Row, string Truth)> accepted, CancellationToken ct)
    {
        var (_, card) = await ModelAsync(accepted[0].Row.RunId, ct);
        using var text = new StringWriter();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var (row, truth) in accepted)
            {
                using var line = writer.NewRow();
                for (var i = 0; i < row.Numeric.Count; i++)
                    line[row.Numeric[i]].Set(float.IsNaN(row.Values[i]) ? "" : row.Values[i].ToString("R", CultureInfo.InvariantCulture));
                for (var i = 0; i < row.Text.Count; i++) line[row.Text[i]].Set(row.Texts[i]);
                line[card.Target].Set(truth);
            }
        }
        var key = $"pipelines/{pipeline}/feedback/{clock.GetUtcNow():yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}.csv";
        await store.PutTextAsync(key, text.ToString(), "text/csv", ct);
        return key;
    }
}
