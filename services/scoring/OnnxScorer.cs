using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlOps.Contracts;

namespace MlOps.Scoring;

/// <summary>
/// One loaded ONNX model, described by its <see cref="ModelCard"/>. Thread-safe: ONNX Runtime sessions may be run concurrently,
/// so one instance serves every request for its model version.
/// </summary>
public sealed class OnnxScorer : IDisposable
{
    readonly InferenceSession _session;

    public ModelCard Card { get; }
    public string ExecutionProvider { get; }

    public OnnxScorer(byte[] onnx, ModelCard card, int threadsPerCall = 0)
    {
        Card = card;
        using var options = Scoring.ExecutionProvider.CreateOptions(threadsPerCall);
        _session = new InferenceSession(onnx, options);
        ExecutionProvider = Scoring.ExecutionProvider.Name;
        foreach (var input in Inputs(card))
            if (!_session.InputMetadata.ContainsKey(input))
                throw new InvalidDataException($"The ONNX model has no input '{input}' (it has {string.Join(", ", _session.InputMetadata.Keys)}).");
    }

    static IEnumerable<string> Inputs(ModelCard card)
    {
        if (card.Features.Count > 0) yield return card.OnnxInput;
        if (card.Categorical.Count > 0) yield return ModelCard.CategoricalInput;
        if (card.HashedText.Count > 0) yield return ModelCard.HashedInput;
        if (card.Timestamps.Count > 0) yield return ModelCard.TimestampInput;
    }

    /// <summary>Scores <paramref name="rows"/> all-numeric rows given row-major in <paramref name="features"/>.</summary>
    public Prediction[] Score(float[] features, int rows) => Score(ModelInputs.NumericOnly(features, rows));

    public Prediction[] Score(ModelInputs batch)
    {
        var rows = batch.Rows;
        var card = Card;
        Check(batch.Numeric.Length, card.Features.Count, "numeric");
        Check(batch.Categorical.Length, card.Categorical.Count, "categorical");
        Check(batch.Hashed.Length, card.HashedText.Count, "hashed");
        Check(batch.Timestamps.Length, card.Timestamps.Count, "timestamp");
        var inputs = new List<NamedOnnxValue>();
        if (card.Features.Count > 0)
            inputs.Add(NamedOnnxValue.CreateFromTensor(card.OnnxInput, new DenseTensor<float>(batch.Numeric, [rows, card.Features.Count])));
        if (card.Categorical.Count > 0)
            inputs.Add(NamedOnnxValue.CreateFromTensor(ModelCard.CategoricalInput, new DenseTensor<string>(batch.Categorical, [rows, card.Categorical.Count])));
        if (card.HashedText.Count > 0)
            inputs.Add(NamedOnnxValue.CreateFromTensor(ModelCard.HashedInput, new DenseTensor<string>(batch.Hashed, [rows, card.HashedText.Count])));
        if (card.Timestamps.Count > 0)
            inputs.Add(NamedOnnxValue.CreateFromTensor(ModelCard.TimestampInput, new DenseTensor<double>(Seconds(batch.Timestamps, card), [rows, card.Timestamps.Count])));
        using var results = _session.Run(inputs,
            card.OnnxProbabilityOutput is null ? [card.OnnxLabelOutput] : [card.OnnxLabelOutput, card.OnnxProbabilityOutput]);
        var byName = results.ToDictionary(r => r.Name);

        if (card.Task == ModelTask.Regression)
        {
            var values = byName[card.OnnxLabelOutput].AsTensor<float>();
            return Enumerable.Range(0, rows).Select(i => new Prediction(values.GetValue(i).ToString("R", System.Globalization.CultureInfo.InvariantCulture), [], values.GetValue(i))).ToArray();
        }
        var labels = Labels(byName[card.OnnxLabelOutput], rows);
        var probabilities = card.OnnxProbabilityOutput is null ? null : byName[card.OnnxProbabilityOutput].AsTensor<float>();
        var predictions = new Prediction[rows];
        for (var i = 0; i < rows; i++)
        {
            float[] p = [];
            if (probabilities is not null)
            {
                if (card.Task == ModelTask.Binary)
                {
                    var positive = probabilities.GetValue(i * (int)(probabilities.Length / rows));
                    p = [1 - positive, positive];
                }
                else
                {
                    p = new float[card.Classes.Count];
                    for (var k = 0; k < p.Length; k++) p[k] = probabilities[i, k];
                }
            }
            predictions[i] = new Prediction(labels[i], p, null);
        }
        return predictions;

        void Check(int length, int width, string what)
        {
            if (length != rows * width)
                throw new ArgumentException($"Expected {rows} × {width} = {rows * width} {what} values, got {length}.");
        }
    }

    /// <summary>The timestamps' text as the graph takes it (<see cref="DateParts.TryRead"/>); a cell it cannot read is the caller's error.</summary>
    static double[] Seconds(string[] texts, ModelCard card)
    {
        var seconds = new double[texts.Length];
        for (var i = 0; i < texts.Length; i++)
            if (!DateParts.TryRead(texts[i], out seconds[i], out var problem))
                throw new ArgumentException($"Row {i / card.Timestamps.Count}, feature '{card.Timestamps[i % card.Timestamps.Count]}': {problem}.");
        return seconds;
    }

    string[] Labels(DisposableNamedOnnxValue output, int rows)
    {
        if (Card.Task == ModelTask.Binary)
        {
            var t = output.AsTensor<bool>();
            return Enumerable.Range(0, rows).Select(i => t.GetValue(i) ? Card.Classes[1] : Card.Classes[0]).ToArray();
        }
        var s = output.AsTensor<string>();
        return Enumerable.Range(0, rows).Select(i => s.GetValue(i)).ToArray();
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// A scored row: the predicted class and the probability of each class in <see cref="ModelCard.Classes"/> order;
/// for regression the <see cref="Value"/> (and <see cref="Label"/> is its text).
/// </summary>
public record Prediction(string Label, float[] Probabilities, float? Value);
