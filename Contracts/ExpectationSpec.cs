namespace MlOps.Contracts;

/// <summary>
/// One expectation of a pipeline's suite, named as in Great Expectations (<c>expect_column_values_to_be_between</c> …).
/// Column expectations take <see cref="Mostly"/>: the share of non-null values that must meet them.
/// An expectation with <see cref="Severity.Warning"/> is reported but never rejects the dataset.
/// </summary>
public record ExpectationSpec
{
    public string Expectation { get; init; } = "";
    public string? Column { get; init; }
    public List<string>? Columns { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public List<string>? Values { get; init; }
    public string? Regex { get; init; }
    public ColumnType? Type { get; init; }
    public double Mostly { get; init; } = 1.0;
    public Severity Severity { get; init; } = Severity.Error;
}

public enum ColumnType
{
    Number,
    Integer,
    String,
    Boolean,
}

public enum Severity
{
    Error,
    Warning,
}

/// <summary>What each expectation needs, so a suite is checked when the pipeline is registered rather than when data arrives.</summary>
public static class ExpectationCatalog
{
    [Flags]
    public enum Needs
    {
        None = 0,
        Column = 1,
        Columns = 2,
        Range = 4,
        Values = 8,
        Regex = 16,
        Type = 32,
    }

    /// <summary>Expectation name → its arguments and whether it is judged value by value (so <c>mostly</c> applies).</summary>
    public static readonly IReadOnlyDictionary<string, (Needs Needs, bool PerValue)> Known = new Dictionary<string, (Needs, bool)>
    {
        ["expect_table_row_count_to_be_between"] = (Needs.Range, false),
        ["expect_column_to_exist"] = (Needs.Column, false),
        ["expect_table_columns_to_match_set"] = (Needs.Columns, false),
        ["expect_table_columns_to_match_ordered_list"] = (Needs.Columns, false),
        ["expect_column_values_to_not_be_null"] = (Needs.Column, true),
        ["expect_column_values_to_be_between"] = (Needs.Column | Needs.Range, true),
        ["expect_column_values_to_be_in_set"] = (Needs.Column | Needs.Values, true),
        ["expect_column_values_to_be_unique"] = (Needs.Column, true),
        ["expect_column_values_to_match_regex"] = (Needs.Column | Needs.Regex, true),
        ["expect_column_values_to_be_of_type"] = (Needs.Column | Needs.Type, true),
        ["expect_column_min_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_max_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_mean_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_stdev_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_median_to_be_between"] = (Needs.Column | Needs.Range, false),
        ["expect_column_distinct_values_to_equal_set"] = (Needs.Column | Needs.Values, false),
        ["expect_column_unique_value_count_to_be_between"] = (Needs.Column | Needs.Range, false),
    };
}

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
