namespace MlOps.Contracts;

/// <summary>The registry's gate stopped this model version; it is recorded but never deployed.</summary>
public record ModelRejected(
    Guid RunId,
    string Pipeline,
    int Version,
    IReadOnlyList<string> Reasons) : IRunMessage;
