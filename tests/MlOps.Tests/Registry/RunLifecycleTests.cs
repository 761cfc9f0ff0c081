using MlOps.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MlOps.Tests;

/// <summary>
/// The run lifecycle is one type (issue 25 item 1): every status carries its facts (RunLifecycle.Of, a switch that does not
/// compile without a new status), and the store, the API's filter, the cancel endpoint, the resumer, the console and the
/// <c>run</c> command read them. These hold the facts to each other.
/// </summary>
public class RunLifecycleTests
{
    [Fact]
    public void EveryStatusHasConsistentFacts()
    {
        var facts = RunLifecycle.All.Select(s => (Status: s, Facts: RunLifecycle.Of(s))).ToList();
        Assert.Equal(facts.Count, facts.Select(f => f.Facts.Name).Distinct().Count());
        foreach (var (status, f) in facts)
        {
            Assert.True(RunLifecycle.TryParse(f.Name, out var parsed) && parsed == status, f.Name);
            // A run still moving can be cancelled and resumed after a crash (the event that put it there is republished);
            // one that has ended can be neither.
            Assert.Equal(!f.Terminal, f.Cancellable);
            Assert.Equal(!f.Terminal, f.ResumedBy is not null);
            Assert.True(f.ResumedBy is null || typeof(MlOps.Contracts.IRunMessage).IsAssignableFrom(f.ResumedBy), f.Name);
            // Every status a run can end in without serving is drawn as stopped, and only those.
            Assert.Equal(status is RunStatus.Rejected or RunStatus.ModelRejected or RunStatus.Failed or RunStatus.Cancelled, f.Stopped);
            Assert.True(f.Step is null or >= 1 and <= 5, f.Name);
        }
        // Moving statuses rank below every ending but approved's (a retired pipeline's approval waits at deploying's rank).
        var moving = facts.Where(f => !f.Facts.Terminal).Max(f => f.Facts.Rank);
        Assert.All(facts.Where(f => f.Facts.Terminal && f.Status != RunStatus.Approved), f => Assert.True(f.Facts.Rank > moving, f.Facts.Name));
        // The order a run moves through, by rank.
        Assert.Equal([RunStatus.Requested, RunStatus.Validating, RunStatus.Training, RunStatus.Gating, RunStatus.Deploying],
            facts.Where(f => !f.Facts.Terminal).OrderBy(f => f.Facts.Rank).Select(f => f.Status));
        Assert.False(RunLifecycle.TryParse("teleporting", out _));
    }

    /// <summary>The API's filter takes every status a run can be in (it refused "approved" and "retired" before).</summary>
    [Fact]
    public async Task TheRunsFilterAnswersEveryStatusAndTheApprovedRunsForApproved()
    {
        var registry = RegistryStore.Sqlite(Path.Combine(TestInfra.TempDirectory(), "registry.db"), TimeProvider.System);
        var approved = Guid.NewGuid();
        var deployed = Guid.NewGuid();
        await registry.RecordAsync(approved, "p", "DataArrived", RunStatus.Validating, new { });
        await registry.RecordAsync(approved, "p", "DeploymentSkipped", RunStatus.Approved, new { });
        await registry.RecordAsync(deployed, "p", "ModelDeployed", RunStatus.Deployed, new { });
        foreach (var status in RunLifecycle.All)
        {
            var answer = RegistryApi.ListRuns(registry, null, status.Name(), null, null, null, null).Result;
            var runs = Assert.IsType<Ok<IReadOnlyList<RunRecord>>>(answer).Value!;
            Assert.Equal(status switch { RunStatus.Approved => [approved], RunStatus.Deployed => [deployed], _ => Array.Empty<Guid>() }, runs.Select(r => r.RunId));
        }
        var refused = Assert.IsType<ProblemHttpResult>(RegistryApi.ListRuns(registry, null, "teleporting", null, null, null, null).Result);
        Assert.Contains("approved", refused.ProblemDetails.Detail);
    }
}
