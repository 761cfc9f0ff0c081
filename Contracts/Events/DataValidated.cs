namespace MlOps.Contracts;

/// <summary>
/// The dataset passed the pipeline's expectation suite; the report (JSON and a page), its schema and the reference profile are
/// stored under the run. <paramref name="Warnings"/> are failed expectations of severity warning. <paramref name="Features"/>
/// are the columns the model reads; <paramref name="Inferred"/>, what validate worked out about the columns the spec does not
/// name (train one-hot encodes the categorical and boolean ones, hashes the hashed ones and imputes numbers with gaps).
/// <paramref name="Spec"/> and <paramref name="Manifest"/> are the run's, carried on from DataArrived so neither train nor
/// ingest reads them back (null on a message from an older MlOps).
/// </summary>
public record DataValidated(
    Guid RunId,
    string Pipeline,
    long Rows,
    IReadOnlyList<string> Features,
    string Target,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<InferredColumn>? Inferred = null,
    PipelineSpec? Spec = null,
    RunManifest? Manifest = null) : IRunMessage;
