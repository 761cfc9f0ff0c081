using System.Collections.Concurrent;
using MlOps.Contracts;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// The canaries and shadows standing beside production, per pipeline: which one a request is routed to, what each served
/// request counts towards them on this replica (the judge adds every replica's up: <see cref="RolloutTotals"/>).
/// What serves production is <see cref="ServingTable"/>'s; starting, promoting and rolling back go through it.
/// </summary>
public sealed class RolloutBoard(ShadowScorer shadowScorer)
{
    readonly ConcurrentDictionary<string, Canary> _canaries = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Shadow> _shadows = new(StringComparer.Ordinal);

    public Canary? CanaryOf(string pipeline) => _canaries.GetValueOrDefault(pipeline);
    public Shadow? ShadowOf(string pipeline) => _shadows.GetValueOrDefault(pipeline);
    public IReadOnlyCollection<Canary> Canaries => _canaries.Values.ToList();

    /// <summary>Sets the pipeline's canary; the one it replaces, if any, is returned for unloading.</summary>
    public Canary? Put(string pipeline, Canary canary)
    {
        _canaries.TryGetValue(pipeline, out var replaced);
        _canaries[pipeline] = canary;
        return replaced;
    }

    /// <summary>Sets the pipeline's shadow; the one it replaces, if any, is returned for unloading.</summary>
    public Shadow? Put(string pipeline, Shadow shadow)
    {
        _shadows.TryGetValue(pipeline, out var replaced);
        _shadows[pipeline] = shadow;
        return replaced;
    }

    public bool TryTakeCanary(string pipeline, out Canary canary) => _canaries.TryRemove(pipeline, out canary!);
    public bool TryTakeShadow(string pipeline, out Shadow shadow) => _shadows.TryRemove(pipeline, out shadow!);

    /// <summary>Takes the canary out only if it is still the one of <paramref name="runId"/>.</summary>
    public Canary? TakeCanaryOf(string pipeline, Guid runId) =>
        _canaries.TryGetValue(pipeline, out var canary) && canary.Model.RunId == runId && _canaries.TryRemove(pipeline, out _) ? canary : null;

    /// <summary>Which model answers this request: the canary for its share of keys (or of requests without a key), else production.</summary>
    public DeployedModel Route(string pipeline, DeployedModel production, string? key)
    {
        if (_canaries.GetValueOrDefault(pipeline) is not { } canary) return production;
        var pick = key is null ? Random.Shared.NextDouble()
            : BitConverter.ToUInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)), 0) / (double)uint.MaxValue;
        return pick < canary.Share ? canary.Model : production;
    }

    /// <summary>Counts the canary's predictions when the canary answered.</summary>
    public void CountCanary(string pipeline, DeployedModel answered, int rows)
    {
        if (_canaries.GetValueOrDefault(pipeline) is { } canary && canary.Model == answered) canary.Count(rows);
    }

    /// <summary>Leaves a copy of production's rows and answers for the shadow to score off the request path.</summary>
    public void OfferToShadow(Shadow shadow, ModelInputs batch, Prediction[] predictions) =>
        shadowScorer.Offer(shadow, batch, predictions.Select(p => p.Label).ToArray());

    public IReadOnlyCollection<Shadow> Shadows => _shadows.Values.ToList();

    /// <summary>
    /// The canary or shadow as the deployment record keeps it, for a restart (or another replica) to start again; its counts
    /// are the judge's over every replica when given (<paramref name="total"/>), else this replica's.
    /// </summary>
    public PendingRollout? PendingOf(string pipeline, RolloutTotal? total = null) =>
        _canaries.GetValueOrDefault(pipeline) is { } canary
            ? new PendingRollout("canary", canary.Model.Version, canary.Model.RunId,
                new RolloutSpec { CanaryShare = canary.Share, MinPredictions = canary.MinPredictions, MinDuration = canary.MinDuration },
                canary.Started, total?.RunId == canary.Model.RunId ? total.Served : canary.Served)
        : _shadows.GetValueOrDefault(pipeline) is { } shadow
            ? ShadowRecord(shadow, total?.RunId == shadow.Model.RunId ? (total.Compared, total.Agreed, total.Failed) : (shadow.Compared, shadow.Agreed, shadow.Failed))
        : null;

    static PendingRollout ShadowRecord(Shadow shadow, (long Compared, long Agreed, long Failed) counts) =>
        new("shadow", shadow.Model.Version, shadow.Model.RunId, new RolloutSpec { Shadow = true }, Compared: counts.Compared, Agreed: counts.Agreed, Failed: counts.Failed);
}
