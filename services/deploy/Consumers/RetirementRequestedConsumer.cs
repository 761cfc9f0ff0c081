using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Deploy.Consumers;

/// <summary>Retires a pipeline's model on a person's command (through the registry) and announces it; a redelivery announces the same retirement again.</summary>
public sealed class RetirementRequestedConsumer(ServingTable serving, ILogger<RetirementRequestedConsumer> logger) : IConsumer<RetirementRequested>
{
    public async Task Consume(ConsumeContext<RetirementRequested> context)
    {
        var m = context.Message;
        if (await serving.RetireAsync(m.Pipeline, m.Reason, m.By, context.CancellationToken) is not { } retired)
        {
            logger.LogInformation("Retirement of {Pipeline} asked by {By}: nothing of it is served here", m.Pipeline, m.By);
            return;
        }
        await context.Publish(new ModelRetired(retired.RunId, m.Pipeline, retired.Version, retired.Reason, retired.By, retired.At), context.CancellationToken);
    }
}

/// <summary>Queue <c>deploy-retirement-requested</c>: fixed here, not derived from where the class lives.</summary>
public sealed class RetirementRequestedConsumerDefinition() : StageConsumerDefinition<RetirementRequestedConsumer>("deploy", "retirement-requested");
