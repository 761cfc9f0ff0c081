namespace MlOps.Contracts;

/// <summary>A run ended in error at <paramref name="Stage"/>; nothing after that stage happens for it.</summary>
public record RunFailed(
    Guid RunId,
    string Pipeline,
    string Stage,
    string Error) : IRunMessage;
