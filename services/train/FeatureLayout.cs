using MlOps.Contracts;

namespace MlOps.Train;

/// <summary>
/// Which dataset columns feed the model, and how: numeric, one-hot categorical, hashed categorical, timestamps; and the features
/// its ONNX graph computes (<see cref="OnnxDerivedFeatures"/>), which the model sees after the numeric columns: derived features,
/// missing-value indicators, then each timestamp's date parts.
/// </summary>
public sealed record FeatureLayout(IReadOnlyList<string> Numeric, IReadOnlyList<string> Categorical, IReadOnlyList<string> Hashed,
    IReadOnlyList<DerivedFeature>? DerivedFeatures = null, IReadOnlyList<int>? IndicatorColumns = null, IReadOnlyList<string>? TimestampColumns = null)
{
    public IReadOnlyList<DerivedFeature> Derived => DerivedFeatures ?? [];

    /// <summary>Positions among <see cref="Numeric"/> of the columns with a missing-value indicator (features.missingIndicators), after the derived features.</summary>
    public IReadOnlyList<int> Indicators => IndicatorColumns ?? [];

    /// <summary>Date or time columns (features.timestamps): the model sees their <see cref="DateParts"/>, part by part, last.</summary>
    public IReadOnlyList<string> Timestamps => TimestampColumns ?? [];

    /// <summary>Where the date parts start in the vector the model learns on.</summary>
    public int DatePartsAt => Numeric.Count + Derived.Count + Indicators.Count;

    /// <summary>The width of the vector the model learns on: numeric columns, derived features, indicators, date parts.</summary>
    public int Width => DatePartsAt + DateParts.Names.Count * Timestamps.Count;

    public static FeatureLayout From(PipelineSpec spec, IReadOnlyList<string> features)
    {
        var timestamps = features.Where(spec.Features.Timestamps.Contains).ToList();
        var numeric = features.Where(f => !spec.Features.Categorical.Contains(f) && !spec.Features.Hashed.Contains(f) && !timestamps.Contains(f)).ToList();
        foreach (var d in spec.Features.Derived)
        {
            if (d.Of.Count != 2 || !DerivedFeature.Ops.Contains(d.Op))
                throw new TrainingException($"The derived feature '{d.Name}' needs an op ({string.Join(", ", DerivedFeature.Ops)}) and two columns in 'of'.");
            if (features.Contains(d.Name)) throw new TrainingException($"The derived feature '{d.Name}' has the name of a dataset column; give it another.");
            foreach (var column in d.Of)
                if (!numeric.Contains(column))
                    throw new TrainingException($"The derived feature '{d.Name}' uses '{column}', which is not a numeric feature of this dataset (numeric: {string.Join(", ", numeric)}).");
        }
        return new(numeric, features.Where(spec.Features.Categorical.Contains).ToList(), features.Where(spec.Features.Hashed.Contains).ToList(),
            spec.Features.Derived, spec.Features.MissingIndicators ? [.. numeric.Select((c, i) => (c, i)).Where(x => spec.Features.Impute.ContainsKey(x.c)).Select(x => x.i)] : null,
            timestamps);
    }

    /// <summary>For each derived feature, the positions of its two columns among <see cref="Numeric"/> (checked by <see cref="From"/>).</summary>
    public (int A, int B)[] DerivedColumns() => [.. Derived.Select(d => (IndexOf(d.Of[0]), IndexOf(d.Of[1])))];

    /// <summary>The numeric columns of one row followed by the derived features, computed in float32 as the ONNX graph does.</summary>
    public void WriteDerived(ReadOnlySpan<float> numeric, (int A, int B)[] columns, Span<float> values)
    {
        numeric.CopyTo(values);
        for (var i = 0; i < Derived.Count; i++)
        {
            float a = numeric[columns[i].A], b = numeric[columns[i].B];
            values[Numeric.Count + i] = Derived[i].Op switch { "sum" => a + b, "difference" => a - b, "product" => a * b, "ratio" => a / b,
                _ => throw new TrainingException($"Unknown derived op '{Derived[i].Op}'; use one of {string.Join(", ", DerivedFeature.Ops)}.") };
        }
    }

    int IndexOf(string column)
    {
        for (var i = 0; i < Numeric.Count; i++)
            if (Numeric[i] == column) return i;
        throw new TrainingException($"'{column}' is not a numeric feature of this dataset.");
    }
}
