namespace MlOps.Contracts;

/// <summary>
/// The dataset passed the pipeline's expectation suite; the report (JSON and a page), its schema and the reference profile are
/// stored under the run. <paramref name="Warnings"/> are failed expectations of severity warning. <paramref name="Features"/>
/// are the columns the model reads; <paramref name="Inferred"/>, what validate worked out about the columns the spec does not
/// name (train one-hot encodes the categorical and boolean ones, hashes the hashed ones and imputes numbers with gaps).
/// </summary>
public record DataValidated(
    Guid RunId,
    string Pipeline,
    long Rows,
    IReadOnlyList<string> Features,
    string Target,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<InferredColumn>? Inferred = null) : IRunMessage;
