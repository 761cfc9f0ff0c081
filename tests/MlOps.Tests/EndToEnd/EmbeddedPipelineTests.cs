namespace MlOps.Tests;

/// <summary>The whole loop in the embedded composition (one process, in-memory bus, filesystem store) over real HTTP on loopback: the same flows the distributed system test runs (SystemFlow).</summary>
[Collection(nameof(EmbeddedAppCollection))]
public class EmbeddedPipelineTests
{
    [Fact]
    public async Task TheLoopRunsFromUploadToServingAndRetrainsOnDrift()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.RunAsync(mlops.Client, mlops.Client, mlops.Client, mlops.Service<IArtifactStore>(), "loop");
    }

    [Fact]
    public async Task ValidationStopsDataThatBreaksTheSuiteOrTheSchemaWithAReadableReport()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.ValidationAsync(mlops.Client, mlops.Client, mlops.Client, "suite", mlops.DataPath);
    }

    [Fact]
    public async Task FeaturesAreEngineeredInsideTheModelAndTheGateComparesWithTheChampionOnTheSameRows()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        await SystemFlow.TrainingAndGateAsync(mlops.Client, mlops.Client, mlops.Client, mlops.Service<IArtifactStore>(), "features", mlops.DataPath);
    }

    [Fact]
    public async Task TheRegistryAnswersLineageServedAtRollbackAndCachesTraining()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var bus = mlops.Service<MassTransit.IBus>();
        await SystemFlow.RegistryAsync(mlops.Client, mlops.Client, mlops.Client, m => bus.Publish(m), "registry");
    }

    [Fact]
    public async Task TheRegistryRunsTheSameOnPostgreSql()
    {
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:registry"] = TestInfra.NewPostgresDatabase() });
        var bus = mlops.Service<MassTransit.IBus>();
        await SystemFlow.RegistryAsync(mlops.Client, mlops.Client, mlops.Client, m => bus.Publish(m), "registry-pg");
        Assert.False(File.Exists(Path.Combine(mlops.DataPath, "registry.db")), "the SQLite file was used instead of PostgreSQL");
    }
}
