namespace MlOps.Contracts;

/// <summary>
/// The dataset failed validation: the pipeline stops here. <paramref name="Reasons"/> are readable sentences; the report (JSON
/// and a page, under the run) holds the details and examples.
/// </summary>
public record DataRejected(
    Guid RunId,
    string Pipeline,
    IReadOnlyList<string> Reasons) : IRunMessage;
