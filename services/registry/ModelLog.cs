using MlOps.Contracts;

namespace MlOps.Registry;

/// <summary>
/// What deploy's lifecycle events do to a model's log and its champion alias: a deployment is logged and moves the alias to
/// the version now serving; a retirement is logged and takes the alias off; a rollback is logged. Each is written once: a
/// redelivered event finds its entry (by version and time) and changes nothing.
/// </summary>
public sealed class ModelLog(RegistryStore registry)
{
    public async Task DeployedAsync(ModelDeployed m)
    {
        if (registry.Log(m.Pipeline, "deployed").Any(e => e.Version == m.Version && e.At == m.DeployedAt)) return; // a redelivery
        await registry.LogAsync(m.Pipeline, m.Version, "deployed", "deploy", null,
            new { runId = m.RunId, modelSha256 = m.ModelSha256, executionProvider = m.ExecutionProvider }, m.DeployedAt);
        var previous = registry.Champion(m.Pipeline)?.Version;
        if (previous == m.Version) return;
        await registry.SetAliasAsync(m.Pipeline, "champion", m.Version);
        await registry.LogAsync(m.Pipeline, m.Version, "alias-moved", "deploy", "the version now serving is the champion",
            new { alias = "champion", from = previous, to = m.Version });
    }

    public async Task RetiredAsync(ModelRetired m)
    {
        if (registry.Log(m.Pipeline, "retired").Any(e => e.At == m.RetiredAt)) return; // a redelivery
        await registry.LogAsync(m.Pipeline, m.Version, "retired", m.By, m.Reason, new { runId = m.RunId }, m.RetiredAt);
        if (registry.Champion(m.Pipeline)?.Version != m.Version) return;
        await registry.RemoveAliasAsync(m.Pipeline, "champion");
        await registry.LogAsync(m.Pipeline, m.Version, "alias-moved", "deploy", "the pipeline was retired: nothing serves",
            new { alias = "champion", from = m.Version, to = (int?)null });
    }

    public Task RolledBackAsync(DeploymentRolledBack m) =>
        registry.LogAsync(m.Pipeline, m.Version, "rolled-back", "deploy", m.Reason, new { runId = m.RunId, serving = m.ServingVersion }, m.At);
}
