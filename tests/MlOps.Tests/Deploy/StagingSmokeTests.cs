using MassTransit;
using MlOps.Scoring;
using MlOps.Train;

namespace MlOps.Tests;

/// <summary>Deploy's staging smoke test: a model file that does not answer its hold-out rows as at training time is never served.</summary>
public class StagingSmokeTests
{
    [Fact]
    public async Task AModelThatAnswersItsHoldOutRowsDifferentlyIsNotServed()
    {
        var model = TrainingTests.Train(new PipelineSpec { Target = "target" }, File.ReadAllText(TestInfra.Sample("classification.csv")));
        var store = new MlOps.ServiceDefaults.Artifacts.FileSystemArtifactStore(TestInfra.TempDirectory());
        var runId = model.Card.RunId;
        await MlOps.ServiceDefaults.Artifacts.ArtifactStoreJson.PutJsonAsync(store, MlOps.ServiceDefaults.Artifacts.ArtifactKeys.ModelCard(runId), model.Card, default);
        await store.PutAsync(MlOps.ServiceDefaults.Artifacts.ArtifactKeys.Onnx(runId), new MemoryStream(model.Onnx), "application/octet-stream", default);
        await store.PutAsync(MlOps.ServiceDefaults.Artifacts.ArtifactKeys.Holdout(runId), new MemoryStream(model.HoldoutCsv), "text/csv", default);
        var loader = new MlOps.Deploy.ModelLoader(store, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new MlOps.Deploy.DeployOptions()));
        var rollouts = new MlOps.Deploy.RolloutBoard(new MlOps.Deploy.ShadowScorer(Microsoft.Extensions.Logging.Abstractions.NullLogger<MlOps.Deploy.ShadowScorer>.Instance));
        await using var provider = new ServiceCollection().AddMassTransit(x => x.UsingInMemory()).BuildServiceProvider();
        var bus = provider.GetRequiredService<MassTransit.IBusControl>();
        await bus.StartAsync();
        var catalog = new MlOps.Deploy.ServingTable(loader, rollouts, new MlOps.Deploy.DeploymentStore(store, bus, TimeProvider.System), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<MlOps.Deploy.ServingTable>.Instance);

        // Training time said the opposite of row 0's answer: the smoke test refuses the model.
        var lines = Encoding.UTF8.GetString(model.PredictionsCsv).Split('\n');
        var first = lines[1].Split(',');
        first[0] = first[0] == "1" ? "0" : "1";
        lines[1] = string.Join(',', first);
        await store.PutAsync(MlOps.ServiceDefaults.Artifacts.ArtifactKeys.HoldoutPredictions(runId), new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), "text/csv", default);
        var refused = await Assert.ThrowsAsync<MlOps.Deploy.SmokeTestFailedException>(() => catalog.DeployAsync("p", 1, runId, default));
        Assert.Contains("hold-out row 0", refused.Message);
        Assert.Null(catalog.Get("p"));

        await store.PutAsync(MlOps.ServiceDefaults.Artifacts.ArtifactKeys.HoldoutPredictions(runId), new MemoryStream(model.PredictionsCsv), "text/csv", default);
        Assert.Equal(1, (await catalog.DeployAsync("p", 1, runId, default)).Version);
    }
}
