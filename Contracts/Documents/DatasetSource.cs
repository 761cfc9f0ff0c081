namespace MlOps.Contracts;

/// <summary>
/// The bytes a dataset was uploaded as, when that was not the CSV the stages read (a Parquet file, converted at ingest):
/// kept under the run beside the CSV, so lineage ends at what was uploaded.
/// </summary>
public record DatasetSource(string Format, string Key, string Sha256, long Bytes);
