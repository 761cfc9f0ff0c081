using System.Net.Sockets;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// Whether an error means a service MlOps needs could not be reached for a while (the object store, the broker, the
/// database, the network), not that the work itself is wrong: such a failure is retried for minutes
/// (<c>Messaging:TransientRetry</c>), long enough for a broker restart or an S3 outage, before the run ends failed.
/// Any other error gets the stage's short retry (<c>Messaging:Retry</c>, <c>Stages:{stage}:Retry</c>).
/// </summary>
public static class TransientFailure
{
    public static bool Is(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            // The object store (S3ArtifactStore) turns "out of reach" into HttpRequestException at its own boundary.
            if (e is HttpRequestException or SocketException or TimeoutException)
                return true;
            if (e is System.Data.Common.DbException { IsTransient: true }) return true;
            // The broker's client types, by name: ServiceDefaults does not reference RabbitMQ.Client directly.
            if (e.GetType().FullName is "MassTransit.RabbitMqConnectionException" or "RabbitMQ.Client.Exceptions.BrokerUnreachableException"
                or "RabbitMQ.Client.Exceptions.AlreadyClosedException" or "RabbitMQ.Client.Exceptions.OperationInterruptedException"
                or "MassTransit.TransportUnavailableException")
                return true;
        }
        return error is AggregateException aggregate && aggregate.InnerExceptions.Any(Is);
    }
}
