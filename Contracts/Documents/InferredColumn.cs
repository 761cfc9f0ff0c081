namespace MlOps.Contracts;

/// <summary>
/// What validate worked out about a column the spec does not name (<see cref="InferenceSpec"/>): its <see cref="Role"/>
/// (number, boolean, categorical, hashed, identifier, constant, timestamp), why, and a few of its values.
/// </summary>
public record InferredColumn(string Name, string Role, string Why, IReadOnlyList<string> Examples, long EmptyCells = 0)
{
    public static readonly IReadOnlyList<string> Roles = ["number", "boolean", "categorical", "hashed", "identifier", "constant", "timestamp"];

    /// <summary>Whether the model reads the column (identifiers and constants stay in the data only).</summary>
    public bool IsFeature => Role is "number" or "boolean" or "categorical" or "hashed" or "timestamp";

    /// <summary>
    /// The features a spec gets from inference: categorical and boolean columns one-hot encoded, hashed ones hashed, timestamps
    /// read for their date parts (<see cref="DateParts"/>), numbers
    /// with empty cells imputed with the median of the training rows (a number column without gaps keeps refusing an empty
    /// cell, at validation and at serving: a gap where there never was one is news). What the spec names is never changed.
    /// </summary>
    public static FeatureSpec Apply(FeatureSpec features, IReadOnlyList<InferredColumn>? inferred)
    {
        if (inferred is null or { Count: 0 }) return features;
        return features with
        {
            Categorical = [.. features.Categorical, .. inferred.Where(i => i.Role is "categorical" or "boolean").Select(i => i.Name).Except(features.Categorical)],
            Hashed = [.. features.Hashed, .. inferred.Where(i => i.Role == "hashed").Select(i => i.Name).Except(features.Hashed)],
            Timestamps = [.. features.Timestamps, .. inferred.Where(i => i.Role == "timestamp").Select(i => i.Name).Except(features.Timestamps)],
            Impute = new(features.Impute.Concat(inferred.Where(i => i.Role == "number" && i.EmptyCells > 0 && !features.Impute.ContainsKey(i.Name))
                .Select(i => KeyValuePair.Create(i.Name, "median")))),
        };
    }

    /// <summary>
    /// The spec with inferred columns written into it (TFDV's flow: the next dataset is validated against what the first one
    /// showed): numbers declared and imputed (median), text declared string and one-hot encoded or hashed, dates and times
    /// declared string and read as timestamps, the rest excluded;
    /// and the inference itself kept under <c>inference.learned</c>. Columns the spec already names are left as they are.
    /// </summary>
    public static PipelineSpec Learn(PipelineSpec spec, IReadOnlyList<InferredColumn> inferred, Guid runId)
    {
        var fresh = inferred.Where(i => !spec.Names(i.Name) && i.Name != spec.Target).ToList();
        if (fresh.Count == 0) return spec;
        var types = new Dictionary<string, ColumnType>(spec.Validation.ColumnTypes);
        foreach (var i in fresh) if (i.IsFeature) types[i.Name] = i.Role == "number" ? ColumnType.Number : ColumnType.String;
        return spec with
        {
            Validation = spec.Validation with { ColumnTypes = types },
            Features = Apply(spec.Features, fresh) with { Exclude = [.. spec.Features.Exclude, .. fresh.Where(i => !i.IsFeature).Select(i => i.Name)] },
            Inference = spec.Inference with { Learned = [.. spec.Inference.Learned.Where(l => fresh.All(f => f.Name != l.Name)), .. fresh], LearnedFrom = runId },
        };
    }
}
