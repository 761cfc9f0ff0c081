using MassTransit;
using MlOps.Contracts;

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
