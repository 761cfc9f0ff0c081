using System.Collections.Concurrent;
using MassTransit;

namespace MlOps.Tests;

// What a test reads off the bus to know that a message was handled (rather than sleeping and assuming it was).

/// <summary>Counts the receives that ended (consumed, or faulted and moved to the error queue), by queue name.</summary>
public sealed class ReceiveEnded : IReceiveObserver
{
    readonly ConcurrentDictionary<string, int> _ended = new();
    int _inFlight;
    void End(ReceiveContext context)
    {
        _ended.AddOrUpdate(context.InputAddress.AbsolutePath.Split('/')[^1], 1, (_, n) => n + 1);
        Interlocked.Decrement(ref _inFlight);
    }
    public int Count(string queue) => _ended.GetValueOrDefault(queue);
    /// <summary>Receives begun and not yet ended.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);
    public Task PreReceive(ReceiveContext context) { Interlocked.Increment(ref _inFlight); return Task.CompletedTask; }
    public Task PostReceive(ReceiveContext context) { End(context); return Task.CompletedTask; }
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;
    public Task ReceiveFault(ReceiveContext context, Exception exception) { End(context); return Task.CompletedTask; }
}

/// <summary>A queue's ready messages on the test broker, read with RabbitMQ's own client.</summary>
public static class RabbitQueues
{
    static async Task<T> WithChannel<T>(string uri, Func<RabbitMQ.Client.IChannel, Task<T>> use)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await use(channel);
    }

    public static Task<uint> CountAsync(string uri, string queue) => WithChannel(uri, async c => (await c.QueueDeclarePassiveAsync(queue)).MessageCount);

    public static Task<uint> PurgeAsync(string uri, string queue) => WithChannel(uri, async c =>
    {
        try { return await c.QueuePurgeAsync(queue); }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return 0u; } // not declared yet: nothing to purge
    });
}

/// <summary>
/// A bus in the test process on the isolated virtual host (beside a service run as its own process), whose consumers put
/// what they receive in <paramref name="seen"/>.
/// </summary>
public static class ObserverBus
{
    /// <summary>Empties <paramref name="queues"/> first: what an earlier run left there is not this test's.</summary>
    public static async Task<Microsoft.Extensions.Hosting.IHost> StartAsync(ConcurrentQueue<object> seen, Action<IBusRegistrationConfigurator> consumers,
        params IEnumerable<string> queues)
    {
        foreach (var queue in queues) await RabbitQueues.PurgeAsync(TestInfra.IsolatedMessaging, queue);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration,
            new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = TestInfra.IsolatedMessaging });
        builder.Services.AddSingleton(seen);
        MlOps.ServiceDefaults.Messaging.MessagingExtensions.AddMlOpsMessaging(builder, consumers);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

