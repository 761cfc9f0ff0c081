namespace MlOps.Contracts;

/// <summary>
/// What a trained model is and how to call it (<c>runs/{runId}/model.json</c>): written by train, read by registry and deploy.
/// The ONNX graph takes the float tensor <see cref="OnnxInput"/> of shape [N, Features.Count] (the numeric features, in the
/// order of <see cref="Features"/>; NaN for an empty cell of an imputed column) and, when the model has text features, the
/// string tensors "Categorical" [N, CategoricalFeatures.Count] and "Hashed" [N, HashedFeatures.Count]; with timestamp features,
/// the double tensor "Timestamps" [N, TimestampFeatures.Count] of whole seconds since 1970 on the clock as written (NaN for an
/// empty cell; <see cref="DateParts"/> reads the text). Every transform (imputation, scaling, encoding, date parts) is inside the graph. A regression model has no classes and answers a value.
/// <see cref="Hyperparameters"/> are the values the trainer ran with: the spec's, and the defaults for what it left out.
/// </summary>
public record ModelCard(
    Guid RunId,
    string Pipeline,
    ModelTask Task,
    string Trainer,
    string Target,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> Classes,
    string ModelSha256,
    string OnnxInput,
    string OnnxLabelOutput,
    string? OnnxProbabilityOutput,
    IReadOnlyDictionary<string, double> Metrics,
    long TrainRows,
    long TestRows,
    double OnnxMaxDifference,
    string CodeVersion,
    IReadOnlyList<string>? CategoricalFeatures = null,
    IReadOnlyList<string>? HashedFeatures = null,
    string? HoldoutKey = null,
    IReadOnlyList<string>? ImputedFeatures = null,
    Guid? CachedFrom = null,
    IReadOnlyList<DerivedFeature>? DerivedFeatures = null,
    IReadOnlyDictionary<string, double>? Hyperparameters = null,
    IReadOnlyDictionary<string, double>? ImputeValues = null,
    IReadOnlyList<string>? TimestampFeatures = null)
{
    public const string CategoricalInput = "Categorical";
    public const string HashedInput = "Hashed";
    public const string TimestampInput = "Timestamps";

    public IReadOnlyList<string> Categorical => CategoricalFeatures ?? [];
    public IReadOnlyList<string> HashedText => HashedFeatures ?? [];
    public IReadOnlyList<string> Imputed => ImputedFeatures ?? [];
    /// <summary>Date or time columns: sent as the data has them, their date parts computed by the graph.</summary>
    public IReadOnlyList<string> Timestamps => TimestampFeatures ?? [];
    /// <summary>The inputs sent as text: categorical, hashed, then timestamps (as served rows and feedback carry them).</summary>
    public IEnumerable<string> TextInputs => [.. Categorical, .. HashedText, .. Timestamps];
    /// <summary>Features the graph computes from <see cref="Features"/> (not inputs: the caller never sends them).</summary>
    public IReadOnlyList<DerivedFeature> Derived => DerivedFeatures ?? [];

    /// <summary>Every input column the model reads, numeric first, as named in the dataset.</summary>
    public IEnumerable<string> AllFeatures => [.. Features, .. TextInputs];
}
