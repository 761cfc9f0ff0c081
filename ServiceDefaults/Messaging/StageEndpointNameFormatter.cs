using MassTransit;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// The bus's endpoint names in kebab case. The services' consumers name their queues in their definitions
/// (<see cref="StageConsumerDefinition{TConsumer}"/>); a consumer without one (a test's observer) gets "{stage}-{consumer}",
/// the stage read from its namespace (<c>MlOps.Validate.…</c>).
/// </summary>
public sealed class StageEndpointNameFormatter() : KebabCaseEndpointNameFormatter(includeNamespace: false)
{
    public override string Consumer<T>() => $"{StageOf(typeof(T))}-{base.Consumer<T>()}";

    public static string StageOf(Type consumerType)
    {
        var parts = (consumerType.Namespace ?? "").Split('.');
        return parts.Length >= 2 && parts[0] == "MlOps" ? parts[1].ToLowerInvariant() : "unknown";
    }

    public static string StageOfEndpoint(string endpointName)
    {
        var dash = endpointName.IndexOf('-');
        return dash > 0 ? endpointName[..dash] : endpointName;
    }
}
