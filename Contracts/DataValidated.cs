namespace MlOps.Contracts;

/// <summary>
/// The dataset passed the pipeline's expectation suite; the report (JSON at <paramref name="ReportKey"/>, a page at
/// <paramref name="ReportPageKey"/>), its schema and the reference profile are stored under the run. <paramref name="Warnings"/> are
/// failed expectations of severity warning.
/// </summary>
public record DataValidated(
    Guid RunId,
    string Pipeline,
    string DatasetKey,
    string ReportKey,
    string ReportPageKey,
    string ProfileKey,
    long Rows,
    IReadOnlyList<string> Features,
    string Target,
    IReadOnlyList<string> Warnings) : IRunMessage;
