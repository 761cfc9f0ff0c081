namespace MlOps.Contracts;

/// <summary>The dataset failed validation: the pipeline stops here. <paramref name="Reasons"/> are readable sentences; the report holds the details.</summary>
public record DataRejected(
    Guid RunId,
    string Pipeline,
    string ReportKey,
    IReadOnlyList<string> Reasons) : IRunMessage;
