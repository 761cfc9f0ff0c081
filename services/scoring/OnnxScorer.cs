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

    public OnnxScorer(byte[] onnx, ModelCard card)
    {
        Card = card;
        using var options = Scoring.ExecutionProvider.CreateOptions();
        _session = new InferenceSession(onnx, options);
        ExecutionProvider = Scoring.ExecutionProvider.Name;
        if (!_session.InputMetadata.ContainsKey(card.OnnxInput))
            throw new InvalidDataException($"The ONNX model has no input '{card.OnnxInput}' (it has {string.Join(", ", _session.InputMetadata.Keys)}).");
    }

    /// <summary>Scores <paramref name="rows"/> rows given row-major in <paramref name="features"/>.</summary>
    public Prediction[] Score(float[] features, int rows)
    {
        var width = Card.Features.Count;
        if (features.Length != rows * width)
            throw new ArgumentException($"Expected {rows} × {width} = {rows * width} values, got {features.Length}.");
        var input = new DenseTensor<float>(features, [rows, width]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(Card.OnnxInput, input)],
            Card.OnnxProbabilityOutput is null ? [Card.OnnxLabelOutput] : [Card.OnnxLabelOutput, Card.OnnxProbabilityOutput]);
        var byName = results.ToDictionary(r => r.Name);
        var labels = Labels(byName[Card.OnnxLabelOutput], rows);
        var probabilities = Card.OnnxProbabilityOutput is null ? null : byName[Card.OnnxProbabilityOutput].AsTensor<float>();

        var predictions = new Prediction[rows];
        for (var i = 0; i < rows; i++)
        {
            float[] p = [];
            if (probabilities is not null)
            {
                if (Card.Task == ModelTask.Binary)
                {
                    var positive = probabilities.GetValue(i * (int)(probabilities.Length / rows));
                    p = [1 - positive, positive];
                }
                else
                {
                    p = new float[Card.Classes.Count];
                    for (var k = 0; k < p.Length; k++) p[k] = probabilities[i, k];
                }
            }
            predictions[i] = new Prediction(labels[i], p);
        }
        return predictions;
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

/// <summary>A scored row: the predicted class and the probability of each class in <see cref="ModelCard.Classes"/> order.</summary>
public record Prediction(string Label, float[] Probabilities);
