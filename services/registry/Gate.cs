using MlOps.Contracts;

namespace MlOps.Registry;

public record GateVerdict(bool Approved, IReadOnlyList<string> Reasons);

/// <summary>
/// The promotion gate. A model passes when its gate metric is at least the spec's minimum and, if the pipeline has a
/// champion, at least the champion's value minus the tolerance. So: the first model (no champion) faces the minimum only;
/// a tie with the champion passes (a retrain on the same data must be able to replace its parent); a missing metric fails.
/// </summary>
public static class Gate
{
    public static GateVerdict Evaluate(GateSpec gate, IReadOnlyDictionary<string, double> metrics, ModelVersion? champion)
    {
        var reasons = new List<string>();
        if (!metrics.TryGetValue(gate.Metric, out var value))
            return new GateVerdict(false, [$"The model reports no '{gate.Metric}' metric, which the gate needs."]);

        var approved = true;
        if (value >= gate.Minimum) reasons.Add($"{gate.Metric} {value:0.####} meets the minimum {gate.Minimum:0.####}.");
        else { approved = false; reasons.Add($"{gate.Metric} {value:0.####} is below the minimum {gate.Minimum:0.####}."); }

        if (champion is null)
        {
            reasons.Add("No champion yet: this is the pipeline's first candidate.");
        }
        else if (champion.Metrics.TryGetValue(gate.Metric, out var best))
        {
            var floor = best - gate.ChampionTolerance;
            if (value >= floor) reasons.Add($"{gate.Metric} {value:0.####} is no worse than champion v{champion.Version}'s {best:0.####} (tolerance {gate.ChampionTolerance:0.####}).");
            else { approved = false; reasons.Add($"{gate.Metric} {value:0.####} is worse than champion v{champion.Version}'s {best:0.####} (tolerance {gate.ChampionTolerance:0.####})."); }
        }
        return new GateVerdict(approved, reasons);
    }
}
