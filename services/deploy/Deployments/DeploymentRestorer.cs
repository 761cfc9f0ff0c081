using Microsoft.Extensions.Options;
using MlOps.Scoring;

namespace MlOps.Deploy;

/// <summary>
/// On start, serves again what the deployment records say is serving (production, canaries, shadows, retirements), and
/// reports the execution provider chosen. Deploy reports ready (<c>/v2/health/ready</c>, <c>/health</c>) only after this: a
/// replica that answered before would say "not served" for models that serve. Then, every <c>Deploy:ReconcileEvery</c>,
/// reads every record again: a replica that missed a <c>DeploymentChanged</c> (its queue goes with its connection) catches up.
/// </summary>
public sealed class DeploymentRestorer(ServingTable serving, DeploymentStore records, IOptions<DeployOptions> options, ILogger<DeploymentRestorer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        ExecutionProvider.Report(logger);
        try
        {
            await ApplyAllAsync(ct);
        }
        finally
        {
            serving.MarkRestored();
        }
        using var timer = new PeriodicTimer(options.Value.ReconcileEvery);
        while (await timer.WaitForNextTickAsync(ct)) await ApplyAllAsync(ct);
    }

    async Task ApplyAllAsync(CancellationToken ct)
    {
        IReadOnlyList<string> keys;
        try
        {
            keys = await records.KeysAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not list the deployment records");
            return;
        }
        foreach (var key in keys)
        {
            try
            {
                await serving.ApplyAsync(await records.ReadAsync(key, ct), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not serve what the deployment record {Key} says", key);
            }
        }
    }
}
