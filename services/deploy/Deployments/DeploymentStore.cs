using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Deploy;

/// <summary>
/// What serves each pipeline, kept in the artifact store (<c>deployments/{pipeline}.json</c>, a <see cref="DeploymentRecord"/>):
/// written whenever production, a canary or shadow, a rollback or a retirement changes, then announced to every replica
/// (<see cref="DeploymentChanged"/>); read back when deploy starts and whenever a replica hears of a change.
/// </summary>
public sealed class DeploymentStore(IArtifactStore store, IBus bus, TimeProvider clock)
{
    public async Task SaveAsync(DeploymentRecord record, CancellationToken ct)
    {
        await store.PutJsonAsync(ArtifactKeys.Deployment(record.Pipeline), record, ct);
        await bus.Publish(new DeploymentChanged(record.Pipeline, clock.GetUtcNow()), ct);
    }

    public Task<IReadOnlyList<string>> KeysAsync(CancellationToken ct) => store.ListAsync(ArtifactKeys.Deployments, ct);

    public Task<DeploymentRecord> ReadAsync(string key, CancellationToken ct) => store.GetJsonAsync<DeploymentRecord>(key, ct);

    public Task<DeploymentRecord?> TryReadAsync(string pipeline, CancellationToken ct) => store.TryGetJsonAsync<DeploymentRecord>(ArtifactKeys.Deployment(pipeline), ct);
}
