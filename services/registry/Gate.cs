using MlOps.Contracts;

namespace MlOps.Registry;

public record GateVerdict(bool Approved, IReadOnlyList<string> Reasons);

/// <summary>The champion as the gate sees it: its version, and its metrics on the candidate's hold-out rows (or, when it cannot be scored on them, its own).</summary>
public record ChampionEvidence(int Version, IReadOnlyDictionary<string, double> Metrics, bool SameRows);

/// <summary>The best constant answer on the candidate's hold-out rows (<see cref="Answer"/> says which) and its metrics there.</summary>
public record BaselineEvidence(string Answer, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The promotion gate, with these semantics:
/// <list type="bullet">
/// <item>Value thresholds: the gate metric (accuracy for classification, r2 for regression, unless the spec names one) must
/// reach <c>minimum</c>, and every <c>thresholds</c> entry its bound: a minimum for scores, a maximum for errors (rmse, mae, logLoss).
/// A metric the model does not report fails. With no minimum, the gate metric must instead beat the best constant answer on the
/// same hold-out rows (the majority class with the rows' class shares as probabilities, or the rows' mean) by
/// <c>baselineMargin</c>: in the metric's units for scores, a fraction of the baseline for errors.</item>
/// <item>Change threshold: when the pipeline has a champion, both models are scored on the candidate's hold-out rows, and the
/// candidate's gate metric may be worse than the champion's by at most <c>championTolerance</c>. A tie passes, so a retrain
/// on unchanged data can replace its parent. The first model of a pipeline (no champion) faces the value thresholds only; so does
/// a candidate of a retired pipeline (the retired model is no champion), and its reasons say so: it serves only when a person
/// promotes it.</item>
/// </list>
/// </summary>
public static class Gate
{
    /// <param name="withoutChampion">Why there is no champion, when it is not the first candidate (a retired pipeline).</param>
    /// <param name="baseline">The best constant answer's metrics on the same hold-out rows: with no <c>minimum</c>, the bar to beat.</param>
    public static GateVerdict Evaluate(GateSpec gate, ModelTask task, IReadOnlyDictionary<string, double> metrics, ChampionEvidence? champion,
        string? withoutChampion = null, BaselineEvidence? baseline = null)
    {
        var reasons = new List<string>();
        var approved = true;
        var metric = gate.MetricFor(task);
        var bounds = new List<(string Metric, double Bound)>();
        if (gate.Minimum is { } minimum) bounds.Add((metric, minimum));
        else if (baseline is not null && baseline.Metrics.TryGetValue(metric, out var naive))
        {
            var lowerBetter = GateSpec.LowerIsBetter.Contains(metric);
            var bar = lowerBetter ? naive * (1 - gate.BaselineMargin) : naive + gate.BaselineMargin;
            if (!metrics.TryGetValue(metric, out var value))
            {
                approved = false;
                reasons.Add($"The model reports no '{metric}' metric, which the gate needs.");
            }
            else if (lowerBetter ? value <= bar : value >= bar)
                reasons.Add($"{metric} {value:0.####} beats the best constant answer ({baseline.Answer}: {naive:0.####}) on the same hold-out rows, margin {gate.BaselineMargin:0.####}.");
            else
            {
                approved = false;
                reasons.Add($"{metric} {value:0.####} does not beat the best constant answer ({baseline.Answer}: {naive:0.####}) on the same hold-out rows " +
                    $"by the margin {gate.BaselineMargin:0.####}: the model has learned nothing a constant does not know. Set gate.minimum to judge it by a fixed bar instead.");
            }
        }
        bounds.AddRange(gate.Thresholds.Select(kv => (kv.Key, kv.Value)));
        if (bounds.Count == 0 && baseline is null) reasons.Add("No value thresholds are set (gate.minimum and gate.thresholds are empty).");
        foreach (var (name, bound) in bounds)
        {
            var lower = GateSpec.LowerIsBetter.Contains(name);
            if (!metrics.TryGetValue(name, out var value))
            {
                approved = false;
                reasons.Add($"The model reports no '{name}' metric, which the gate needs.");
            }
            else if (lower ? value <= bound : value >= bound)
                reasons.Add($"{name} {value:0.####} meets the {(lower ? "maximum" : "minimum")} {bound:0.####}.");
            else
            {
                approved = false;
                reasons.Add($"{name} {value:0.####} is {(lower ? "above the maximum" : "below the minimum")} {bound:0.####}.");
            }
        }

        if (champion is null)
        {
            reasons.Add(withoutChampion ?? "No champion yet: this is the pipeline's first candidate.");
        }
        else if (metrics.TryGetValue(metric, out var value) && champion.Metrics.TryGetValue(metric, out var best))
        {
            var lower = GateSpec.LowerIsBetter.Contains(metric);
            var ok = lower ? value <= best + gate.ChampionTolerance : value >= best - gate.ChampionTolerance;
            var where = champion.SameRows ? "on the same hold-out rows" : "on its own hold-out (it could not be scored on this model's rows)";
            var tie = value == best ? " (a tie)" : "";
            reasons.Add(ok
                ? $"{metric} {value:0.####} is no worse than champion v{champion.Version}'s {best:0.####} {where}{tie}, tolerance {gate.ChampionTolerance:0.####}."
                : $"{metric} {value:0.####} is worse than champion v{champion.Version}'s {best:0.####} {where}, tolerance {gate.ChampionTolerance:0.####}.");
            approved &= ok;
        }
        else
        {
            approved = false;
            reasons.Add($"Champion v{champion.Version} and this model cannot be compared on '{metric}'.");
        }
        return new GateVerdict(approved, reasons);
    }
}
