namespace MlOps.Contracts;

/// <summary>Why a run started. Recorded in the run's manifest and carried by its events.</summary>
public enum Trigger
{
    Upload,
    Schedule,
    DataVolume,
    Drift,
    Performance,
    Manual,
}
