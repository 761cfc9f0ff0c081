using System.Collections.Concurrent;

namespace MlOps.Tests;

/// <summary>A real HTTP listener on loopback that keeps every JSON body POSTed to <see cref="Url"/>: where tests point alerts.webhooks.</summary>
public sealed class WebhookReceiver(WebApplication app) : IAsyncDisposable
{
    WebApplication App { get; } = app;
    public ConcurrentQueue<JsonElement> Received { get; } = new();
    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build());
        receiver.App.MapPost("/alerts", async (HttpRequest request) =>
        {
            receiver.Received.Enqueue((await JsonDocument.ParseAsync(request.Body)).RootElement.Clone());
            return Results.Ok();
        });
        await receiver.App.StartAsync();
        receiver.Url = receiver.App.Urls.First() + "/alerts";
        return receiver;
    }

    /// <summary>The alerts of one kind received so far.</summary>
    public List<JsonElement> OfKind(string kind) => Received.Where(a => a.GetProperty("kind").GetString() == kind).ToList();

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
