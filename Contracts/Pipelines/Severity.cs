namespace MlOps.Contracts;

/// <summary>Whether a failed check rejects the dataset (<see cref="Error"/>) or is only reported (<see cref="Warning"/>).</summary>
public enum Severity
{
    Error,
    Warning,
}
