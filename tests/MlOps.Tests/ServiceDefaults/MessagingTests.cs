using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Flaky;

namespace MlOps.Tests
{
    /// <summary>The bus wiring every service uses: exponential retry, then RunFailed naming the stage, over both transports.</summary>
    public class MessagingTests
    {
        [Theory]
        [InlineData("in-memory")]
        [InlineData("rabbitmq")]
        public async Task AMessageThatExhaustsItsRetriesEndsItsRunWithRunFailedNamingTheStage(string transport)
        {
            var settings = new Dictionary<string, string?>
            {
                ["Messaging:Retry:Attempts"] = "3",
                ["Messaging:Retry:FirstDelay"] = "00:00:00.020",
                ["Messaging:Retry:Factor"] = "2",
                ["ConnectionStrings:messaging"] = transport == "rabbitmq" ? TestInfra.Messaging : null,
            };
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(settings);
            var attempts = new ConcurrentDictionary<Guid, int>();
            var failures = new ConcurrentQueue<RunFailed>();
            builder.Services.AddSingleton(attempts).AddSingleton(failures);
            builder.AddMlOpsMessaging(x =>
            {
                x.AddConsumer<AlwaysFailingConsumer>();
                x.AddConsumer<RunFailedRecorder>();
            });
            using var host = builder.Build();
            await host.StartAsync();
            var received = new ReceiveEnded();
            var bus = host.Services.GetRequiredService<IBus>();
            using var observing = bus.ConnectReceiveObserver(received);
            const string Queue = "flaky-always-failing";
            if (transport == "rabbitmq") await RabbitQueues.PurgeAsync(TestInfra.Messaging, Queue + "_error");
            try
            {
                var run = Guid.NewGuid();
                await bus.Publish(new FlakyWorkArrived(run, "flaky-test"));
                // The positive signal: the message's receive has ended (retries done, the message moved to the error queue), and
                // the RunFailed it caused has been consumed. Nothing is left to redeliver, so one RunFailed is all there will be.
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (received.Count(Queue) == 0 || !failures.Any(f => f.RunId == run)) await Task.Delay(50, cts.Token);
                Assert.Equal(1, received.Count(Queue));
                if (transport == "rabbitmq") Assert.Equal(1u, await RabbitQueues.CountAsync(TestInfra.Messaging, Queue + "_error")); // the _error queue keeps it

                var failed = Assert.Single(failures, f => f.RunId == run);
                Assert.Equal("flaky", failed.Stage);
                Assert.Equal("flaky-test", failed.Pipeline);
                Assert.Contains("disk on fire", failed.Error);
                Assert.Contains("The flaky stage failed 4 times", failed.Error); // what broke, and what to do next
                Assert.Contains("Retry the run (POST /pipelines/flaky-test/retrain)", failed.Error);
                Assert.Equal(4, attempts[run]); // the first try and three retries
            }
            finally
            {
                await host.StopAsync();
            }
        }

        [Fact]
        public void BackoffGrowsByTheFactorAndStopsAtTheCap()
        {
            var options = new RetryOptions { Attempts = 5, FirstDelay = TimeSpan.FromSeconds(1), Factor = 3, MaxDelay = TimeSpan.FromSeconds(20) };
            Assert.Equal([1, 3, 9, 20, 20], options.Delays().Select(d => d.TotalSeconds));
        }
    }

    public sealed class RunFailedRecorder(ConcurrentQueue<RunFailed> failures) : IConsumer<RunFailed>
    {
        public Task Consume(ConsumeContext<RunFailed> context)
        {
            failures.Enqueue(context.Message);
            return Task.CompletedTask;
        }
    }
}

// The namespace names the stage, as MlOps.Validate does for the validate service.
namespace MlOps.Flaky
{
    /// <summary>A message of the test's own, so no real stage listening on the same broker receives it.</summary>
    public record FlakyWorkArrived(Guid RunId, string Pipeline) : IRunMessage;

    public sealed class AlwaysFailingConsumer(ConcurrentDictionary<Guid, int> attempts) : IConsumer<FlakyWorkArrived>
    {
        public Task Consume(ConsumeContext<FlakyWorkArrived> context)
        {
            attempts.AddOrUpdate(context.Message.RunId, 1, (_, n) => n + 1);
            throw new IOException("disk on fire");
        }
    }
}
