using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Deploy;

/// <summary>
/// What serves each pipeline, kept in the artifact store (<c>deployments/{pipeline}.json</c>, a <see cref="DeploymentRecord"/>):
/// written whenever production, a canary or shadow, a rollback or a retirement changes, read back when deploy starts.
/// </summary>
public sealed class DeploymentStore(IArtifactStore store)
{
    public Task SaveAsync(DeploymentRecord record, CancellationToken ct) => store.PutJsonAsync(ArtifactKeys.Deployment(record.Pipeline), record, ct);

    public Task<IReadOnlyList<string>> KeysAsync(CancellationToken ct) => store.ListAsync(ArtifactKeys.Deployments, ct);

    public Task<DeploymentRecord> ReadAsync(string key, CancellationToken ct) => store.GetJsonAsync<DeploymentRecord>(key, ct);
}
