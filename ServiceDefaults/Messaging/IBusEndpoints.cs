using MassTransit;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// Receive endpoints a service lays out itself, beyond one queue per consumer (monitor's partition queues): registered in
/// DI, configured on whichever transport runs. <c>asStage</c> gives an endpoint what every stage's endpoint gets
/// (<see cref="StageLimits"/>: concurrency, time limit, retries ending the run with RunFailed).
/// </summary>
public interface IBusEndpoints
{
    void Configure(IBusRegistrationContext context, IBusFactoryConfigurator bus, Action<string, IReceiveEndpointConfigurator> asStage);
}
