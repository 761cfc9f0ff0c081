using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>A canary whose live performance dropped is rolled back at once; production keeps answering every request.</summary>
public sealed class PerformanceDroppedConsumer(ServingTable serving, TimeProvider clock) : IConsumer<PerformanceDropped>
{
    public async Task Consume(ConsumeContext<PerformanceDropped> context)
    {
        var m = context.Message;
        if (await serving.RollBackAsync(m.Pipeline, m.RunId, context.CancellationToken) is not { } canary) return; // not a canary: monitor asks for a retrain instead
        await context.Publish(new DeploymentRolledBack(m.RunId, m.Pipeline, canary.Version, serving.Get(m.Pipeline)?.Version ?? 0,
            $"Live {m.Metric} {m.Live:0.####} over {m.Rows} labelled predictions, against {m.Holdout:0.####} on its hold-out rows.", clock.GetUtcNow()), context.CancellationToken);
    }
}

/// <summary>Queue <c>deploy-performance-dropped</c>: fixed here, not derived from where the class lives.</summary>
public sealed class PerformanceDroppedConsumerDefinition() : StageConsumerDefinition<PerformanceDroppedConsumer>("deploy", "performance-dropped");
