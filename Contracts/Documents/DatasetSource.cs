namespace MlOps.Contracts;

/// <summary>
/// The bytes a dataset was uploaded as, when that was not the CSV the stages read (a Parquet file, or delimited text in
/// another dialect: <c>ssv</c>, <c>tsv</c>, <c>psv</c>, <c>-decimal-comma</c>, <c>bom-csv</c>; converted at ingest): kept under
/// the run beside the CSV, so lineage ends at what was uploaded, and <see cref="Format"/> records what was detected.
/// </summary>
public record DatasetSource(string Format, string Key, string Sha256, long Bytes);
