namespace MlOps.Contracts;

/// <summary>
/// <see cref="Name"/> = <see cref="Of"/>[0] op <see cref="Of"/>[1], op one of <see cref="Ops"/> (in 32-bit floats, as the graph
/// computes it; a ratio by zero is ±infinity or NaN, which imputation or the trees then see as such).
/// </summary>
public record DerivedFeature
{
    public static readonly IReadOnlyList<string> Ops = ["sum", "difference", "product", "ratio"];

    public string Name { get; init; } = "";
    public string Op { get; init; } = "";
    public List<string> Of { get; init; } = [];
}
