using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>What the gate looked at and decided, stored as <c>runs/{runId}/gate.json</c>.</summary>
public record GateReport(Guid RunId, string Metric, IReadOnlyDictionary<string, double> Candidate, ChampionEvidence? Champion,
    bool Approved, IReadOnlyList<string> Reasons, string ExecutionProvider, BaselineEvidence? Baseline = null);

/// <summary>
/// The gate's evidence: the candidate's hold-out metrics as train computed them (its card: its ONNX graph scored on its
/// hold-out rows by <see cref="HoldoutMetrics"/>; the same rows and code would give the same numbers here, so they are read,
/// not computed again), the current champion scored with ONNX Runtime (CUDA when present) on those same rows by the same
/// code, and the best answer needing no features; <see cref="Gate"/> gives the verdict.
/// </summary>
public sealed class GateEvaluator(IArtifactStore store, ILogger<GateEvaluator> logger)
{
    /// <summary>The candidate's card is the one its event carried, else (a message from an older MlOps) the stored one.</summary>
    public async Task<GateReport> EvaluateAsync(Guid runId, PipelineSpec spec, ModelVersion? champion, ModelCard? card, CancellationToken ct, string? withoutChampion = null)
    {
        card ??= await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        var rows = await ReadHoldoutAsync(card, ct);
        var candidate = GateSpec.MetricsFor(card.Task).Where(card.Metrics.ContainsKey).ToDictionary(m => m, m => card.Metrics[m]);

        ChampionEvidence? evidence = null;
        if (champion is not null)
        {
            var championCard = await store.TryGetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(champion.RunId), ct);
            if (championCard is not null && SameInputs(card, championCard))
            {
                var metrics = await ScoreAsync(champion.RunId, championCard, rows, ct);
                evidence = new ChampionEvidence(champion.Version, metrics, SameRows: true);
            }
            else
            {
                logger.LogWarning("Run {RunId}: champion v{Version} takes other inputs; comparing with its recorded metrics", runId, champion.Version);
                evidence = new ChampionEvidence(champion.Version, champion.Metrics, SameRows: false);
            }
        }
        var baseline = Baseline(card, rows);
        var verdict = Gate.Evaluate(spec.Gate, card.Task, candidate, evidence, withoutChampion, baseline);
        return new GateReport(runId, spec.Gate.MetricFor(card.Task), candidate, evidence, verdict.Approved, verdict.Reasons, ExecutionProvider.Name, baseline);
    }

    /// <summary>
    /// The best answer that needs no features, scored on the same rows by the same code: classification, the rows' most
    /// common class with their class shares as probabilities; regression, their mean. A stronger bar than the training
    /// rows' prior (it has seen these rows' targets), so beating it means the model learned from the features.
    /// </summary>
    static BaselineEvidence Baseline(ModelCard card, LabelledRows rows)
    {
        var n = rows.Targets.Length;
        if (card.Task == ModelTask.Regression)
        {
            var mean = rows.Targets.Average(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture));
            var constant = Enumerable.Repeat(new Prediction(mean.ToString("R", System.Globalization.CultureInfo.InvariantCulture), [], (float)mean), n).ToList();
            return new BaselineEvidence($"the mean {mean:0.####}", HoldoutMetrics.Evaluate(card, rows.Targets, constant).Metrics);
        }
        var shares = card.Classes.Select(c => (float)rows.Targets.Count(t => t == c) / n).ToArray();
        var majority = card.Classes[Array.IndexOf(shares, shares.Max())];
        var constantClass = Enumerable.Repeat(new Prediction(majority, shares, null), n).ToList();
        return new BaselineEvidence($"always '{majority}'", HoldoutMetrics.Evaluate(card, rows.Targets, constantClass).Metrics);
    }

    async Task<LabelledRows> ReadHoldoutAsync(ModelCard card, CancellationToken ct)
    {
        await using var csv = await store.OpenReadAsync(card.HoldoutKey ?? ArtifactKeys.Holdout(card.RunId), ct);
        return CsvRows.Read(csv, card, withTarget: true);
    }

    async Task<IReadOnlyDictionary<string, double>> ScoreAsync(Guid runId, ModelCard card, LabelledRows rows, CancellationToken ct)
    {
        using var scorer = new OnnxScorer(await store.ReadAllBytesAsync(ArtifactKeys.Onnx(runId), ct), card);
        return HoldoutMetrics.Evaluate(card, rows.Targets, scorer.Score(rows.Inputs)).Metrics;
    }

    /// <summary>The champion can answer the candidate's rows when it reads the same columns the same way and predicts the same kind of thing.</summary>
    static bool SameInputs(ModelCard a, ModelCard b) =>
        a.Task == b.Task && a.Target == b.Target && a.Features.SequenceEqual(b.Features) && a.Categorical.SequenceEqual(b.Categorical)
        && a.HashedText.SequenceEqual(b.HashedText) && a.Timestamps.SequenceEqual(b.Timestamps) && (a.Task == ModelTask.Regression || a.Classes.SequenceEqual(b.Classes));
}
