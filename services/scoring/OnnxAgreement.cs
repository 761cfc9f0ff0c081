namespace MlOps.Scoring;

/// <summary>
/// How close the exported graph's answers must be to ML.NET's, at training (the ONNX check) and at deployment (the staging
/// smoke test): labels equal, probabilities within <see cref="Tolerance"/>, regression values within <see cref="Tolerance"/>
/// of the largest magnitude among the rows compared (at least 1). Both sides sum many trees in float32, whose rounding grows
/// with the terms summed, not with the result: a prediction near zero made of leaves in the thousands differs by a few
/// thousandths, which is 1e-6 of the scale but far more of the value itself (make_friedman2's targets, up to ~1,700,
/// failed a check relative to each value by 3e-5).
/// </summary>
public static class OnnxAgreement
{
    public const double Tolerance = 1e-5;

    /// <summary>What a regression difference is measured against: the largest |value| of the rows compared, at least 1.</summary>
    public static double Scale(IEnumerable<double> values) => values.Aggregate(1.0, (m, v) => Math.Max(m, Math.Abs(v)));
}
