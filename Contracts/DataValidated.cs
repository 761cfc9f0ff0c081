namespace MlOps.Contracts;

/// <summary>The dataset passed the pipeline's expectation suite; the report and the reference profile are stored under the run.</summary>
public record DataValidated(
    Guid RunId,
    string Pipeline,
    string DatasetKey,
    string ReportKey,
    string ProfileKey,
    long Rows,
    IReadOnlyList<string> Features,
    string Target) : IRunMessage;
