namespace MlOps.Contracts;

/// <summary>A pipeline nothing serves any more, by a person's command: its last version, when, who and why.</summary>
public record Retirement(int Version, Guid RunId, DateTimeOffset At, string By, string Reason);
