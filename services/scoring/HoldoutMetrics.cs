using MlOps.Contracts;

namespace MlOps.Scoring;

/// <summary>A model's quality on labelled rows: the numbers the gate compares and the confusion matrix people look at.</summary>
public sealed record Evaluation(IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<string> Classes, long[][]? ConfusionMatrix);

/// <summary>
/// The one place metrics are computed, from predictions and the true targets: train reports them for its hold-out rows,
/// and the registry's gate scores the candidate and the champion on the same rows with the same code.
/// Classification: accuracy, f1 (of the second class for binary, macro for multiclass), macroAccuracy, auc (binary),
/// logLoss (natural log, probabilities clipped to [1e-15, 1 − 1e-15]), the confusion matrix. Regression: rmse, mae, r2.
/// </summary>
public static class HoldoutMetrics
{
    public static Evaluation Evaluate(ModelCard card, IReadOnlyList<string> truth, IReadOnlyList<Prediction> predictions)
    {
        if (truth.Count != predictions.Count) throw new ArgumentException($"{truth.Count} targets but {predictions.Count} predictions.");
        if (truth.Count == 0) throw new ArgumentException("No rows to evaluate.");
        return card.Task == ModelTask.Regression ? Regression(truth, predictions) : Classification(card, truth, predictions);
    }

    static Evaluation Regression(IReadOnlyList<string> truth, IReadOnlyList<Prediction> predictions)
    {
        var y = truth.Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var mean = y.Average();
        double se = 0, ae = 0, total = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var e = y[i] - predictions[i].Value!.Value;
            se += e * e;
            ae += Math.Abs(e);
            total += (y[i] - mean) * (y[i] - mean);
        }
        var metrics = new Dictionary<string, double>
        {
            ["rmse"] = Math.Sqrt(se / y.Length),
            ["mae"] = ae / y.Length,
            ["r2"] = total == 0 ? 0 : 1 - se / total,
        };
        return new Evaluation(Round(metrics), [], null);
    }

    static Evaluation Classification(ModelCard card, IReadOnlyList<string> truth, IReadOnlyList<Prediction> predictions)
    {
        var classes = card.Classes;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var k = classes.Count;
        var matrix = Enumerable.Range(0, k).Select(_ => new long[k]).ToArray();
        var unknown = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            if (!index.TryGetValue(truth[i], out var t) || !index.TryGetValue(predictions[i].Label, out var p)) { unknown++; continue; }
            matrix[t][p]++;
        }
        var n = truth.Count;
        var correct = Enumerable.Range(0, k).Sum(c => matrix[c][c]);
        double F1(int c)
        {
            var tp = matrix[c][c];
            var fp = Enumerable.Range(0, k).Sum(r => matrix[r][c]) - tp;
            var fn = matrix[c].Sum() - tp;
            return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        }
        double Recall(int c) => matrix[c].Sum() is var support and > 0 ? (double)matrix[c][c] / support : 0;
        var present = Enumerable.Range(0, k).Where(c => matrix[c].Sum() > 0).ToList();

        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = (double)correct / n,
            ["microAccuracy"] = (double)correct / n,
            ["macroAccuracy"] = present.Count == 0 ? 0 : present.Average(Recall),
            ["f1"] = k == 2 ? F1(1) : present.Count == 0 ? 0 : present.Average(F1),
        };
        if (predictions.All(p => p.Probabilities.Length == k))
        {
            const double clip = 1e-15;
            var loss = 0.0;
            for (var i = 0; i < n; i++)
                if (index.TryGetValue(truth[i], out var t)) loss -= Math.Log(Math.Clamp(predictions[i].Probabilities[t], clip, 1 - clip));
            metrics["logLoss"] = loss / n;
            if (k == 2) metrics["auc"] = Auc(truth.Select(t => t == classes[1]).ToArray(), predictions.Select(p => (double)p.Probabilities[1]).ToArray());
        }
        return new Evaluation(Round(metrics), classes, matrix);
    }

    /// <summary>Area under the ROC curve by ranks (Mann–Whitney U), ties sharing their average rank.</summary>
    public static double Auc(bool[] positive, double[] score)
    {
        var order = Enumerable.Range(0, score.Length).OrderBy(i => score[i]).ToArray();
        var ranks = new double[score.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && score[order[j + 1]] == score[order[i]]) j++;
            for (var m = i; m <= j; m++) ranks[order[m]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        long pos = positive.Count(p => p), neg = positive.Length - pos;
        if (pos == 0 || neg == 0) return double.NaN;
        var sum = positive.Select((p, i) => p ? ranks[i] : 0).Sum();
        return (sum - pos * (pos + 1) / 2.0) / (pos * (double)neg);
    }

    static IReadOnlyDictionary<string, double> Round(Dictionary<string, double> metrics) =>
        metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 6));
}
