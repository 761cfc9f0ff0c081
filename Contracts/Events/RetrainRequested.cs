namespace MlOps.Contracts;

/// <summary>
/// Start a new run (<paramref name="RunId"/>, unique per trigger) of a pipeline from the newest accepted data; <paramref name="By"/>, the
/// authenticated identity that asked (null when MlOps itself did).
/// </summary>
public record RetrainRequested(
    Guid RunId,
    string Pipeline,
    Trigger Trigger,
    string Reason,
    Guid? ParentRunId,
    string? By = null) : IRunMessage;
