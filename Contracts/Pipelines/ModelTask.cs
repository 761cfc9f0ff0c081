namespace MlOps.Contracts;

/// <summary>What a model predicts. <see cref="Auto"/> infers binary or multiclass from the number of distinct labels.</summary>
public enum ModelTask
{
    Auto,
    Binary,
    Multiclass,
    Regression,
}
