namespace MlOps.Contracts;

/// <summary>
/// What validate worked out about a column the spec does not name (<see cref="InferenceSpec"/>): its <see cref="Role"/>
/// (number, boolean, categorical, hashed, identifier, constant, timestamp), why, and a few of its values.
/// </summary>
public record InferredColumn(string Name, string Role, string Why, IReadOnlyList<string> Examples, long EmptyCells = 0)
{
    public static readonly IReadOnlyList<string> Roles = ["number", "boolean", "categorical", "hashed", "identifier", "constant", "timestamp"];

    /// <summary>Whether the model reads the column (identifiers, constants and, for now, timestamps stay in the data only).</summary>
    public bool IsFeature => Role is "number" or "boolean" or "categorical" or "hashed";

    /// <summary>
    /// The features a spec gets from inference: categorical and boolean columns one-hot encoded, hashed ones hashed, numbers
    /// with empty cells imputed with the median of the training rows. What the spec names itself is never changed.
    /// </summary>
    public static FeatureSpec Apply(FeatureSpec features, IReadOnlyList<InferredColumn>? inferred)
    {
        if (inferred is null or { Count: 0 }) return features;
        return features with
        {
            Categorical = [.. features.Categorical, .. inferred.Where(i => i.Role is "categorical" or "boolean").Select(i => i.Name).Except(features.Categorical)],
            Hashed = [.. features.Hashed, .. inferred.Where(i => i.Role == "hashed").Select(i => i.Name).Except(features.Hashed)],
            Impute = new(features.Impute.Concat(inferred.Where(i => i.Role == "number" && i.EmptyCells > 0 && !features.Impute.ContainsKey(i.Name))
                .Select(i => KeyValuePair.Create(i.Name, "median")))),
        };
    }
}
