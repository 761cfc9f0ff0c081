using MlOps.Contracts;

namespace MlOps.Registry;

public record GateVerdict(bool Approved, IReadOnlyList<string> Reasons);

/// <summary>The champion as the gate sees it: its version, and its metrics on the candidate's hold-out rows (or, when it cannot be scored on them, its own).</summary>
public record ChampionEvidence(int Version, IReadOnlyDictionary<string, double> Metrics, bool SameRows);

/// <summary>
/// The promotion gate, with these semantics:
/// <list type="bullet">
/// <item>Value thresholds: the gate metric (accuracy for classification, r2 for regression, unless the spec names one) must
/// reach <c>minimum</c>, and every <c>thresholds</c> entry its bound: a minimum for scores, a maximum for errors (rmse, mae, logLoss).
/// A metric the model does not report fails. With no minimum and no thresholds, there is no value check (said in the reasons).</item>
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
    public static GateVerdict Evaluate(GateSpec gate, ModelTask task, IReadOnlyDictionary<string, double> metrics, ChampionEvidence? champion,
        string? withoutChampion = null)
    {
        var reasons = new List<string>();
        var approved = true;
        var metric = gate.MetricFor(task);
        var bounds = new List<(string Metric, double Bound)>();
        if (gate.Minimum is { } minimum) bounds.Add((metric, minimum));
        bounds.AddRange(gate.Thresholds.Select(kv => (kv.Key, kv.Value)));
        if (bounds.Count == 0) reasons.Add("No value thresholds are set (gate.minimum and gate.thresholds are empty).");
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
