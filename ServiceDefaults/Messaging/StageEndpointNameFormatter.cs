using MassTransit;

namespace MlOps.ServiceDefaults.Messaging;

/// <summary>
/// Names every consumer's queue "{stage}-{consumer}" (e.g. <c>validate-data-arrived</c>), the stage being the service
/// that owns the consumer (<c>MlOps.Validate.…</c>). The stage in the name is what a failed run is attributed to.
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
