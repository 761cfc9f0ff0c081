namespace MlOps.Contracts;

/// <summary>
/// What a retrain trains on: the newest accepted dataset, plus (by default) every labelled production row not in it yet.
/// <see cref="MinNewRows"/>: drift asks for a retrain only once this many labelled production rows of the serving model have
/// arrived; before that, a retrain would train on exactly the serving model's data and make the same model again, so the
/// retrain is deferred (the drift is recorded and alerted, <c>GET /monitor/{p}</c> shows what it waits for) and starts
/// when the labels arrive. 0 retrains at once. A person's retrain (<c>POST /pipelines/{p}/retrain</c>) is never deferred.
/// </summary>
public record RetrainingSpec
{
    public bool IncludeFeedback { get; init; } = true;
    public int MinNewRows { get; init; } = 50;
}
