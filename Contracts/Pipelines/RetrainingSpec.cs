namespace MlOps.Contracts;

/// <summary>What a retrain trains on: the newest accepted dataset, plus (by default) every labelled production row not in it yet.</summary>
public record RetrainingSpec
{
    public bool IncludeFeedback { get; init; } = true;
}
