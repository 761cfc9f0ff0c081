using System.Data.Common;
using MlOps.Registry;

namespace MlOps.Tests;

/// <summary>The registry's store, the same contract on SQLite and on a real PostgreSQL server.</summary>
public class RegistryStoreTests
{
    public static TheoryData<string> Backends() => new() { "sqlite", "postgres" };

    static RegistryStore Create(string backend, out Func<RegistryStore> reopen)
    {
        if (backend == "sqlite")
        {
            var path = Path.Combine(TestInfra.TempDirectory(), "registry.db");
            reopen = () => RegistryStore.Sqlite(path, TimeProvider.System);
        }
        else
        {
            var connection = TestInfra.NewPostgresDatabase();
            reopen = () => RegistryStore.Postgres(connection, TimeProvider.System);
        }
        return reopen();
    }

    static readonly Dictionary<string, double> Metrics = new() { ["accuracy"] = 0.9 };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task VersionsAreNumberedOncePerRunEvenWhenWrittenConcurrently(string backend)
    {
        var store = Create(backend, out var reopen);
        var second = reopen(); // another "replica" on the same database; migrating again changes nothing
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(runs.SelectMany(run => new[] { store, second }.Select(s =>
            Task.Run(() => s.AddVersionAsync("p", run, "sha", Metrics, _ => new GateVerdict(true, ["ok"]))))));
        var versions = store.VersionsOf("p");
        Assert.Equal(Enumerable.Range(1, 20), versions.Select(v => v.Version));
        Assert.Equal(runs.Order(), versions.Select(v => v.RunId).Order());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AStatusOnlyMovesForwardAndFactsAreWrittenOnce(string backend)
    {
        var store = Create(backend, out _);
        var run = Guid.NewGuid();
        await store.RecordAsync(run, "p", "DataArrived", "validating", new { }, new RunFacts(Trigger: "Upload", DatasetSha: "abc", Seed: 42, Bytes: 10));
        await store.RecordAsync(run, "p", "ModelDeployed", "deployed", new { });
        await store.RecordAsync(run, "p", "DataValidated", "training", new { }, new RunFacts(Rows: 5, DatasetSha: "other")); // late
        var record = store.Run(run)!;
        Assert.Equal("deployed", record.Status);
        Assert.Equal(("abc", 42, 10L, 5L), (record.DatasetSha256, record.Seed!.Value, record.DatasetBytes!.Value, record.DatasetRows!.Value));
        Assert.Equal(3, store.Events(run).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TheModelLogIsAppendOnlyAndAnswersWhatServedWhen(string backend)
    {
        var store = Create(backend, out _);
        await store.RecordAsync(Guid.NewGuid(), "p", "DataArrived", "validating", new { });
        var t0 = DateTimeOffset.Parse("2026-11-01T10:00:00Z");
        await store.LogAsync("p", 1, "deployed", "deploy", null, new { runId = Guid.NewGuid() }, t0);
        await store.LogAsync("p", 2, "deployed", "deploy", null, new { runId = Guid.NewGuid() }, t0.AddHours(1));
        Assert.Null(store.ServedAt("p", t0.AddMinutes(-1)));
        Assert.Equal(1, store.ServedAt("p", t0.AddMinutes(30))!.Version);
        Assert.Equal(2, store.ServedAt("p", t0.AddHours(2))!.Version);

        var tampering = Assert.ThrowsAny<DbException>(() => store.ExecuteForTest("UPDATE model_log SET actor = 'mallory'"));
        Assert.Contains("append-only", tampering.Message);
        Assert.ThrowsAny<DbException>(() => store.ExecuteForTest("DELETE FROM run_events"));
        Assert.Equal(2, store.Log("p").Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AForcedApprovalIsRecordedAndCannotBeRepeated(string backend)
    {
        var store = Create(backend, out _);
        var run = Guid.NewGuid();
        await store.RecordAsync(run, "p", "ModelRejected", "model-rejected", new { });
        await store.AddVersionAsync("p", run, "sha", Metrics, _ => new GateVerdict(false, ["worse"]));
        var approved = await store.ForceApproveAsync("p", 1, "needed for the demo", "alice");
        Assert.True(approved.Approved);
        Assert.Equal("deploying", store.Run(run)!.Status);
        Assert.Contains(store.Log("p"), e => e.Kind == "gate-overridden" && e.Actor == "alice" && e.Reason == "needed for the demo");
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ForceApproveAsync("p", 1, "again", "bob"));
    }
}
