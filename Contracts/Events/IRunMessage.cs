namespace MlOps.Contracts;

/// <summary>Every pipeline event belongs to one run of one pipeline; the fault handling and the registry's timeline rely on it.</summary>
public interface IRunMessage
{
    Guid RunId { get; }
    string Pipeline { get; }
}
