using Microsoft.Extensions.Options;
using MlOps.Contracts;
using MlOps.Scoring;
using MlOps.ServiceDefaults.Artifacts;
using nietras.SeparatedValues;

namespace MlOps.Deploy;

/// <summary>A version that answered its hold-out rows differently from training time: it is never served.</summary>
public sealed class SmokeTestFailedException(string message) : Exception(message);

/// <summary>
/// Loads a version for serving: its ONNX session, warmed up, and staged (its hold-out answers checked against training time's)
/// before it takes any traffic; and unloads a replaced one after a grace period.
/// </summary>
public sealed class ModelLoader(IArtifactStore store, TimeProvider clock, IOptions<DeployOptions> options)
{
    /// <summary>Loads the run's model; its card is the one given (carried on the approval), else read from the store.</summary>
    public async Task<DeployedModel> LoadAsync(string pipeline, int version, Guid runId, CancellationToken ct, ModelCard? card = null)
    {
        card ??= await store.GetJsonAsync<ModelCard>(ArtifactKeys.ModelCard(runId), ct);
        var scorer = new OnnxScorer(await store.ReadAllBytesAsync(ArtifactKeys.Onnx(runId), ct), card, options.Value.ScoringThreadsPerRequest);
        WarmUp(scorer);
        await SmokeTestAsync(scorer, runId, ct);
        return new DeployedModel(pipeline, version, runId, scorer, clock.GetUtcNow());
    }

    /// <summary>A replaced session is disposed after a grace period, so requests that took it finish first.</summary>
    public static void DisposeLater(DeployedModel model) =>
        _ = Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => model.Scorer.Dispose(), TaskScheduler.Default);

    /// <summary>
    /// Staging: before a version takes any traffic it scores (up to 200 of) its hold-out rows and must give the answers ML.NET
    /// gave at training time (holdout-predictions.csv); otherwise it is not served and <see cref="SmokeTestFailedException"/> says why.
    /// </summary>
    async Task SmokeTestAsync(OnnxScorer scorer, Guid runId, CancellationToken ct)
    {
        // A version without hold-out files (made before MlOps kept them) has nothing to compare: each is read, not probed first.
        LabelledRows rows;
        var expected = new List<string>();
        try
        {
            await using (var csv = await store.OpenReadAsync(ArtifactKeys.Holdout(runId), ct))
                rows = CsvRows.Read(csv, scorer.Card, withTarget: false);
            // Read with Sep, as train wrote it: a label with a comma or a quote is an escaped field, not two.
            await using var predictions = await store.OpenReadAsync(ArtifactKeys.HoldoutPredictions(runId), ct);
            using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, Unescape = true }).From(predictions);
            foreach (var row in reader) expected.Add(row[0].ToString());
        }
        catch (ArtifactNotFoundException)
        {
            return;
        }
        var n = Math.Min(200, Math.Min(rows.Inputs.Rows, expected.Count));
        var inputs = rows.Inputs;
        var f = scorer.Card.Features.Count; var c = scorer.Card.Categorical.Count; var h = scorer.Card.HashedText.Count; var t = scorer.Card.Timestamps.Count;
        var sample = new ModelInputs(n, inputs.Numeric[..(n * f)], inputs.Categorical[..(n * c)], inputs.Hashed[..(n * h)], inputs.Timestamps[..(n * t)]);
        var answers = scorer.Score(sample);
        var values = scorer.Card.Task == ModelTask.Regression
            ? expected.Take(n).Select(e => double.Parse(e, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [];
        var scale = OnnxAgreement.Scale(values);
        for (var i = 0; i < n; i++)
        {
            var same = scorer.Card.Task == ModelTask.Regression
                ? Math.Abs(answers[i].Value!.Value - values[i]) <= OnnxAgreement.Tolerance * scale
                : answers[i].Label == expected[i];
            if (!same)
                throw new SmokeTestFailedException($"Staging smoke test of run {runId:N} failed: hold-out row {i} is '{answers[i].Label}' here but was '{expected[i]}' at training time.");
        }
    }

    /// <summary>First calls into a fresh session are several times slower; pay that before the model takes traffic.</summary>
    static void WarmUp(OnnxScorer scorer)
    {
        var card = scorer.Card;
        var row = new ModelInputs(1, new float[card.Features.Count], [.. card.Categorical.Select(_ => "")], [.. card.HashedText.Select(_ => "")], [.. card.Timestamps.Select(_ => "")]);
        for (var i = 0; i < 200; i++) scorer.Score(row);
    }
}
