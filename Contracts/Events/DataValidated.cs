namespace MlOps.Contracts;

/// <summary>
/// The dataset passed the pipeline's expectation suite; the report (JSON and a page), its schema and the reference profile are
/// stored under the run. <paramref name="Warnings"/> are failed expectations of severity warning.
/// </summary>
public record DataValidated(
    Guid RunId,
    string Pipeline,
    long Rows,
    IReadOnlyList<string> Features,
    string Target,
    IReadOnlyList<string> Warnings) : IRunMessage;
