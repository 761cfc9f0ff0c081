namespace MlOps.Contracts;

/// <summary>
/// How a dataset is compared with the schema of the pipeline's last accepted dataset (TFDV's anomalies),
/// and which anomalies reject the dataset (<see cref="Severity.Error"/>) or only warn.
/// </summary>
public record SchemaPolicy
{
    public bool Compare { get; init; } = true;
    public Severity MissingColumn { get; init; } = Severity.Error;
    public Severity NewColumn { get; init; } = Severity.Warning;
    public Severity TypeChanged { get; init; } = Severity.Error;
    public Severity UnseenCategory { get; init; } = Severity.Warning;
    public Severity TargetClassMissing { get; init; } = Severity.Error;
    public Severity NullRateShift { get; init; } = Severity.Warning;

    /// <summary>An absolute change in a column's share of empty cells above this is a null-rate shift.</summary>
    public double NullRateShiftThreshold { get; init; } = 0.1;
}
