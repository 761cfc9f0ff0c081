using System.Collections.Concurrent;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MlOps.Tests;

/// <summary>
/// A stand-in for the Dapr sidecar (daprd cannot be installed here): a gRPC server on loopback that answers the one call
/// MlOps makes of it, <c>dapr.proto.runtime.v1.Dapr/GetSecret</c>, from the secrets it is given, with the sidecar's own
/// message types (Dapr.Client's), and records every request. README names it as a stand-in.
/// </summary>
public sealed class DaprSidecarStandIn : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<(string, string)> _requests;
    public string Endpoint { get; }

    DaprSidecarStandIn(WebApplication app, string endpoint, ConcurrentQueue<(string, string)> requests) => (_app, Endpoint, _requests) = (app, endpoint, requests);

    /// <summary>Starts the stand-in with <paramref name="store"/>'s secrets (name → keys → values).</summary>
    public static async Task<DaprSidecarStandIn> StartAsync(string store, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var requests = new ConcurrentQueue<(string, string)>();
        builder.Services.AddSingleton(new SecretService(store, secrets, requests));
        var app = builder.Build();
        app.MapGrpcService<SecretService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DaprSidecarStandIn(app, address, requests);
    }

    /// <summary>What was asked of it so far, in order.</summary>
    public IReadOnlyList<(string Store, string Name)> Asked => [.. _requests];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The sidecar's GetSecret, bound by hand: Dapr.Client ships the client side of its service only.</summary>
    [BindServiceMethod(typeof(SecretService), nameof(BindService))]
    public class SecretService(string store, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets, ConcurrentQueue<(string, string)> requests)
    {
        static readonly Method<GetSecretRequest, GetSecretResponse> Method = new(MethodType.Unary, "dapr.proto.runtime.v1.Dapr", nameof(GetSecret),
            Marshallers.Create(m => m.ToByteArray(), GetSecretRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), GetSecretResponse.Parser.ParseFrom));

        public static void BindService(ServiceBinderBase binder, SecretService? service) =>
            binder.AddMethod(Method, service is null ? null : service.GetSecret);

        // Virtual: ASP.NET Core binds a gRPC handler that overrides the service type's own method, as generated bases have.
        public virtual Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context)
        {
            requests.Enqueue((request.StoreName, request.Key));
            if (request.StoreName != store) throw new RpcException(new Status(StatusCode.InvalidArgument, $"secret store {request.StoreName} is not found"));
            if (!secrets.TryGetValue(request.Key, out var values)) throw new RpcException(new Status(StatusCode.Internal, $"failed getting secret with key {request.Key}: secrets \"{request.Key}\" not found"));
            var response = new GetSecretResponse();
            foreach (var (k, v) in values) response.Data[k] = v;
            return Task.FromResult(response);
        }
    }
}
