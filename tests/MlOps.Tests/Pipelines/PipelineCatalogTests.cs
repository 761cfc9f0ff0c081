using MassTransit;
using Microsoft.ML;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Tests;

/// <summary>
/// The vocabularies the spec sections own are what the services implement, and the queue names the consumers declare stay
/// what they are when a class moves.
/// </summary>
public class PipelineCatalogTests
{
    [Fact]
    public void EveryCatalogTrainerBuildsAnEstimatorForEveryTask()
    {
        var ml = new MLContext(seed: 1);
        foreach (var name in TrainerCatalog.Names)
            foreach (var task in new[] { ModelTask.Binary, ModelTask.Multiclass, ModelTask.Regression })
                Assert.NotNull(MlOps.Train.Trainers.Create(ml, new TrainerSpec { Name = name }, task, "Features", 1000));
    }

    [Fact]
    public void EffectiveHyperparametersAreTheDefaultsExceptWhatTheSpecNames()
    {
        var small = TrainerCatalog.Effective(new TrainerSpec(), 5_000);
        Assert.Equal(100, small["numberOfTrees"]);
        Assert.Equal(31, small["numberOfLeaves"]);
        Assert.Equal(0.1, small["learningRate"]);
        var large = TrainerCatalog.Effective(new TrainerSpec(), TrainerCatalog.LargeData);
        Assert.Equal((50, 63, 0.2), (large["numberOfTrees"], large["numberOfLeaves"], large["learningRate"]));
        var named = TrainerCatalog.Effective(new TrainerSpec { Hyperparameters = new() { ["maxDepth"] = 4, ["numberOfTrees"] = 7 } }, TrainerCatalog.LargeData);
        Assert.Equal((7, 16), (named["numberOfTrees"], named["numberOfLeaves"]));
        var forest = TrainerCatalog.Effective(new TrainerSpec { Name = "FastForest" }, 5_000);
        Assert.False(forest.ContainsKey("learningRate"));
        Assert.Equal((0.7, 63), (forest["rowFraction"], forest["maxBins"]));
        Assert.Equal(["maximumNumberOfIterations"], TrainerCatalog.Effective(new TrainerSpec { Name = "Linear" }, 5_000).Keys);
    }

    [Fact]
    public void EveryHyperparameterBoundIsCheckedAtSubmission()
    {
        var validator = new PipelineSpecValidator();
        foreach (var h in TrainerCatalog.Hyperparameters.Where(h => h.BoundMessage is not null))
        {
            var spec = new PipelineSpec { Name = "p", Trainer = new TrainerSpec { Hyperparameters = new() { [h.Name] = 1_000_000 } } };
            Assert.Contains(validator.Validate(spec).Errors, e => e.ErrorMessage == h.BoundMessage);
        }
    }

    [Fact]
    public void GateMetricsAreTheOnesHoldoutMetricsComputes()
    {
        var card = new ModelCard(Guid.NewGuid(), "p", ModelTask.Binary, "LightGbm", "y", ["x"], ["0", "1"], "", "Features", "PredictedLabel", "Probability",
            new Dictionary<string, double>(), 2, 2, 0, "test");
        var classification = MlOps.Scoring.HoldoutMetrics.Evaluate(card, ["0", "1"],
            [new MlOps.Scoring.Prediction("0", [0.9f, 0.1f], null), new MlOps.Scoring.Prediction("1", [0.2f, 0.8f], null)]);
        Assert.Equal(GateSpec.ClassificationMetrics.Order(), classification.Metrics.Keys.Order());
        var regression = MlOps.Scoring.HoldoutMetrics.Evaluate(card with { Task = ModelTask.Regression }, ["1", "2"],
            [new MlOps.Scoring.Prediction("", [], 1.5f), new MlOps.Scoring.Prediction("", [], 2.5f)]);
        Assert.Equal(GateSpec.RegressionMetrics.Order(), regression.Metrics.Keys.Order());
    }

    /// <summary>The queues as they are on a running broker: renaming one strands its messages, so a change here must be deliberate.</summary>
    [Fact]
    public void ConsumerQueueNamesArePinnedByTheirDefinitions()
    {
        var assemblies = new[] { typeof(MlOps.Ingest.IngestService), typeof(MlOps.Validate.ValidateService), typeof(MlOps.Train.TrainService),
            typeof(MlOps.Registry.RegistryService), typeof(MlOps.Deploy.DeployService), typeof(MlOps.Monitor.MonitorService) }.Select(t => t.Assembly);
        // Monitor's pipeline consumers run on its partition queues (monitor-partition-{k}), not on queues of their own.
        var consumers = assemblies.SelectMany(a => a.GetTypes()).Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IConsumer).IsAssignableFrom(t))
            .Except(MlOps.Monitor.PartitionConsumers.ConsumerTypes).ToList();
        var definitions = assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(StageConsumerDefinition<>)).ToList();
        Assert.Equal(consumers.OrderBy(t => t.FullName), definitions.Select(d => d.BaseType!.GetGenericArguments()[0]).OrderBy(t => t.FullName));
        var names = definitions.Select(d => ((IConsumerDefinition)Activator.CreateInstance(d)!).GetEndpointName(new StageEndpointNameFormatter())).Order().ToList();
        Assert.Equal([
            $"deploy-deployment-changed-{MlOps.Deploy.Consumers.DeploymentChangedConsumerDefinition.Instance}", // one queue per replica
            "deploy-deployment-requested", "deploy-model-approved", "deploy-performance-dropped", "deploy-retirement-requested", "deploy-rollout-counted",
            "ingest-data-validated", "ingest-retrain-requested",
            "monitor-alert", $"monitor-alive-{MlOps.Monitor.MonitorPartitions.Instance}", "monitor-model-deployed", "monitor-model-retired", "monitor-predictions-served",
            "registry-model-trained", "registry-run-timeline",
            "train-data-validated", "validate-data-arrived"], names);
    }
}
