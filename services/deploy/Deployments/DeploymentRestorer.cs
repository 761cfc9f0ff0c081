using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// On start, serves again what the deployment records say was serving, and reports the execution provider chosen. Deploy
/// reports ready (<c>/v2/health/ready</c>, <c>/health</c>) only after this: a replica that answered before would say
/// "not served" for models that serve.
/// </summary>
public sealed class DeploymentRestorer(ServingTable serving, DeploymentStore records, ILogger<DeploymentRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        ExecutionProvider.Report(logger);
        try
        {
            await RestoreAsync(ct);
        }
        finally
        {
            serving.MarkRestored();
        }
    }

    async Task RestoreAsync(CancellationToken ct)
    {
        foreach (var key in await records.KeysAsync(ct))
        {
            try
            {
                var record = await records.ReadAsync(key, ct);
                if (record.RolledBack is int rolledBack) serving.NoteRolledBack(record.Pipeline, rolledBack);
                if (record.Retired is { } retired) serving.RestoreRetired(record.Pipeline, retired);
                else
                {
                    await serving.DeployAsync(record.Pipeline, record.Version, record.RunId, ct);
                    if (record.Rollout is { } rollout) await serving.RestoreRolloutAsync(record.Pipeline, rollout, ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not restore the deployment in {Key}", key);
            }
        }
    }
}
