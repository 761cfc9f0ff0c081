using System.Collections.Concurrent;

namespace MlOps.Tests;

/// <summary>
/// A real HTTP listener on loopback that keeps every JSON body POSTed to it (<see cref="Url"/>: where tests point alerts.webhooks).
/// Loopback is refused to webhooks unless allowed: apps calling it allow 127.0.0.1 (<see cref="Allowed"/>).
/// </summary>
public sealed class WebhookReceiver(WebApplication app) : IAsyncDisposable
{
    WebApplication App { get; } = app;
    public ConcurrentQueue<JsonElement> Received { get; } = new();
    /// <summary>Every call as it came: the path, the signature headers, the body's exact bytes.</summary>
    public ConcurrentQueue<(string Path, string? Timestamp, string? Signature, byte[] Body)> Calls { get; } = new();
    public int Port { get; private set; }
    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build());
        receiver.App.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Calls.Enqueue((request.Path, request.Headers["X-MlOps-Timestamp"].FirstOrDefault(), request.Headers["X-MlOps-Signature"].FirstOrDefault(), body.ToArray()));
            receiver.Received.Enqueue(JsonDocument.Parse(body.ToArray()).RootElement.Clone());
            return Results.Ok();
        });
        await receiver.App.StartAsync();
        receiver.Url = receiver.App.Urls.First() + "/alerts";
        receiver.Port = new Uri(receiver.Url).Port;
        return receiver;
    }

    /// <summary>The setting an app calling this receiver needs: an operator allowing loopback (Webhooks:AllowedHosts).</summary>
    public static KeyValuePair<string, string?> Allowed => new("Webhooks:AllowedHosts:0", "127.0.0.1");

    /// <summary>The alerts of one kind received so far.</summary>
    public List<JsonElement> OfKind(string kind) => Received.Where(a => a.GetProperty("kind").GetString() == kind).ToList();

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
