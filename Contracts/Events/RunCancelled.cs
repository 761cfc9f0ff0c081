namespace MlOps.Contracts;

/// <summary>
/// A person stopped the run (<c>POST /runs/{id}/cancel</c>): no stage starts work on it after this, the work a stage was
/// doing is dropped when it ends, and it makes no model version. <paramref name="By"/> is the authenticated identity.
/// </summary>
public record RunCancelled(
    Guid RunId,
    string Pipeline,
    string By,
    string Reason,
    DateTimeOffset At) : IRunMessage;
