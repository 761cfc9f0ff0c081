namespace MlOps.Contracts;

/// <summary>A column's declared type (<c>validation.columnTypes</c>, <c>expect_column_values_to_be_of_type</c>).</summary>
public enum ColumnType
{
    Number,
    Integer,
    String,
    Boolean,
}
