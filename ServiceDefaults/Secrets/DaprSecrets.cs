using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace MlOps.ServiceDefaults.Secrets;

/// <summary>
/// Where a team runs Dapr (<c>Dapr:Enabled</c>; the dapr overlay of kubernetes/): the services read their connection strings
/// and keys through the sidecar's secret store (<c>Dapr:SecretStore</c>, default <c>mlops-secrets</c>) with Dapr.Client,
/// before anything reads its configuration. Each secret named in <c>Dapr:Secrets</c> (default <c>mlops</c>; the registry's
/// deployment adds <c>mlops-registry</c>) is a set of keys written as environment variables are
/// (<c>ConnectionStrings__messaging</c>), which become settings (<c>ConnectionStrings:messaging</c>) over the others.
/// The sidecar is found as Dapr's SDKs find it (<c>DAPR_GRPC_ENDPOINT</c>), or at <c>Dapr:GrpcEndpoint</c>.
/// A sidecar that is not answering yet is waited for (<c>Dapr:Timeout</c>, default 60 s); a store that answers without a
/// secret it was asked for stops the start, naming it. With Dapr off (the default) nothing here runs.
/// </summary>
public static class DaprSecrets
{
    public static void AddDaprSecrets(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (!config.GetValue<bool>("Dapr:Enabled")) return;
        var store = config["Dapr:SecretStore"] is { Length: > 0 } s ? s : "mlops-secrets";
        var names = (config["Dapr:Secrets"] is { Length: > 0 } n ? n : "mlops").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var timeout = config.GetValue("Dapr:Timeout", TimeSpan.FromSeconds(60));
        // The sidecar's address: Dapr:GrpcEndpoint, else DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT as the injected sidecar sets them.
        var clientBuilder = new DaprClientBuilder();
        if (config["Dapr:GrpcEndpoint"] is { Length: > 0 } endpoint) clientBuilder.UseGrpcEndpoint(endpoint);
        using var client = clientBuilder.Build();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
            foreach (var (key, value) in ReadAsync(client, store, name, timeout).GetAwaiter().GetResult())
                settings[key.Replace("__", ConfigurationPath.KeyDelimiter)] = value;
        config.AddInMemoryCollection(settings);
    }

    static async Task<Dictionary<string, string>> ReadAsync(DaprClient client, string store, string name, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var secret = await client.GetSecretAsync(store, name, cancellationToken: limit.Token);
                if (secret.Count == 0)
                    throw new InvalidOperationException($"Dapr's secret store '{store}' has no keys in the secret '{name}' (Dapr:Secrets): create it with the keys of kubernetes/overlays/prod.");
                return secret;
            }
            catch (DaprException e) when (!limit.IsCancellationRequested && e.InnerException is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)), CancellationToken.None); // the sidecar is starting
            }
            catch (Exception e) when (e is DaprException or OperationCanceledException)
            {
                throw new InvalidOperationException($"Could not read the secret '{name}' from Dapr's secret store '{store}' (Dapr:Enabled is true): " +
                    $"{(e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s (Dapr:Timeout)" : (e.InnerException ?? e).Message)}. " +
                    "Check that the Dapr sidecar runs beside this service and that the store and the secret exist, or set Dapr:Enabled=false.", e);
            }
        }
    }
}
