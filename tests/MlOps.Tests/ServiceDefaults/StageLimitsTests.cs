using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Tests;

/// <summary>
/// Per-stage limits (issue 16 item 3; Kubeflow's set_timeout, set_retry and a concurrency cap): settings under
/// <c>Stages:{stage}</c> reach every endpoint of that stage on the bus every service uses, over both transports.
/// The test's consumers sit on endpoints named for the train and validate stages, with a message of their own.
/// </summary>
public class StageLimitsTests
{
    public record LimitsWorkArrived(Guid RunId, string Pipeline, int Milliseconds, bool Fail = false, bool Unreachable = false) : IRunMessage;

    public sealed class Observed
    {
        public ConcurrentDictionary<(string Stage, Guid Run), int> Attempts { get; } = new();
        public ConcurrentQueue<RunFailed> Failures { get; } = new();
        public ConcurrentQueue<Guid> Done { get; } = new();
        int _inFlight;
        public int MostAtOnce;

        public async Task WorkAsync(string stage, ConsumeContext<LimitsWorkArrived> context)
        {
            Attempts.AddOrUpdate((stage, context.Message.RunId), 1, (_, n) => n + 1);
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = MostAtOnce) < now && Interlocked.CompareExchange(ref MostAtOnce, now, seen) != seen) { }
            try
            {
                await Task.Delay(context.Message.Milliseconds, context.CancellationToken);
                if (context.Message.Fail) throw new IOException("disk on fire");
                if (context.Message.Unreachable) throw new HttpRequestException("Connection refused (127.0.0.1:9000)", new System.Net.Sockets.SocketException(111));
                Done.Enqueue(context.Message.RunId);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    public sealed class TrainWork(Observed observed) : IConsumer<LimitsWorkArrived>
    {
        public Task Consume(ConsumeContext<LimitsWorkArrived> context) => observed.WorkAsync("train", context);
    }

    public sealed class TrainWorkDefinition() : StageConsumerDefinition<TrainWork>("train", "limits-test-work");

    public sealed class ValidateWork(Observed observed) : IConsumer<LimitsWorkArrived>
    {
        public Task Consume(ConsumeContext<LimitsWorkArrived> context) => observed.WorkAsync("validate", context);
    }

    public sealed class ValidateWorkDefinition() : StageConsumerDefinition<ValidateWork>("validate", "limits-test-work");

    public sealed class FailuresSeen(Observed observed) : IConsumer<RunFailed>
    {
        public Task Consume(ConsumeContext<RunFailed> context)
        {
            observed.Failures.Enqueue(context.Message);
            return Task.CompletedTask;
        }
    }

    public sealed class FailuresSeenDefinition() : StageConsumerDefinition<FailuresSeen>("monitor", "limits-test-failures");

    static async Task<(IHost Host, Observed Observed)> StartAsync(string transport, Dictionary<string, string?> settings, bool withValidate = false)
    {
        settings["ConnectionStrings:messaging"] = transport == "rabbitmq" ? TestInfra.Messaging : null;
        settings.TryAdd("Messaging:Retry:FirstDelay", "00:00:00.020");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        var observed = new Observed();
        builder.Services.AddSingleton(observed);
        builder.AddMlOpsMessaging(x =>
        {
            x.AddConsumer<TrainWork, TrainWorkDefinition>();
            if (withValidate) x.AddConsumer<ValidateWork, ValidateWorkDefinition>();
            x.AddConsumer<FailuresSeen, FailuresSeenDefinition>();
        });
        var host = builder.Build();
        if (transport == "rabbitmq")
            foreach (var queue in new[] { "train-limits-test-work", "validate-limits-test-work", "monitor-limits-test-failures" })
                await RabbitQueues.PurgeAsync(TestInfra.Messaging, queue);
        await host.StartAsync();
        return (host, observed);
    }

    /// <summary>
    /// A run whose train stage outlives Stages:train:Timeout ends failed once, naming the stage and the limit, and is not
    /// retried (the limit covers every attempt); a quick message on the same stage is untouched.
    /// </summary>
    [Theory]
    [InlineData("in-memory")]
    [InlineData("rabbitmq")]
    public async Task AStageThatRunsOutOfTimeEndsTheRunFailedOnceNamingTheLimit(string transport)
    {
        var (host, observed) = await StartAsync(transport, new() { ["Stages:train:Timeout"] = "00:00:00.5", ["Messaging:Retry:Attempts"] = "3" });
        using var _ = host;
        var bus = host.Services.GetRequiredService<IBus>();
        Guid slow = Guid.NewGuid(), quick = Guid.NewGuid();
        var clock = Stopwatch.StartNew();
        await bus.Publish(new LimitsWorkArrived(slow, "limits", 60_000));
        await bus.Publish(new LimitsWorkArrived(quick, "limits", 10));
        await Eventually(() => Task.FromResult(observed.Failures.Any(f => f.RunId == slow) && observed.Done.Contains(quick)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed}"); // stopped at its limit, not after its minute
        await Task.Delay(1000); // nothing more arrives: no retry, no second failure
        var failed = Assert.Single(observed.Failures);
        Assert.Equal("train", failed.Stage);
        Assert.Equal("limits", failed.Pipeline);
        Assert.Contains("did not finish within its time limit of 00:00:00.5000000 (Stages:train:Timeout)", failed.Error);
        Assert.Contains("POST /pipelines/limits/retrain", failed.Error);
        Assert.Equal(1, observed.Attempts[("train", slow)]);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("in-memory", 1)]
    [InlineData("in-memory", 3)]
    [InlineData("rabbitmq", 1)]
    [InlineData("rabbitmq", 3)]
    public async Task ConcurrencyCapsHowManyOfAStagesMessagesOneReplicaHandlesAtOnce(string transport, int concurrency)
    {
        var (host, observed) = await StartAsync(transport, new() { ["Stages:train:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture) });
        using var _ = host;
        var bus = host.Services.GetRequiredService<IBus>();
        var runs = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(runs.Select(r => bus.Publish(new LimitsWorkArrived(r, "limits", 300))));
        await Eventually(() => Task.FromResult(observed.Done.Count == runs.Count));
        if (concurrency == 1) Assert.Equal(1, observed.MostAtOnce);
        else Assert.InRange(observed.MostAtOnce, 2, concurrency);
        await host.StopAsync();
    }

    /// <summary>Stages:train:Retry replaces Messaging:Retry for the train stage only; validate keeps the bus-wide policy.</summary>
    [Fact]
    public async Task AStagesOwnRetryReplacesTheBusWideOneForThatStageOnly()
    {
        var (host, observed) = await StartAsync("rabbitmq", new() { ["Messaging:Retry:Attempts"] = "2", ["Stages:train:Retry:Attempts"] = "0" }, withValidate: true);
        using var _ = host;
        var run = Guid.NewGuid();
        await host.Services.GetRequiredService<IBus>().Publish(new LimitsWorkArrived(run, "limits", 1, Fail: true));
        await Eventually(() => Task.FromResult(observed.Failures.Count(f => f.RunId == run) == 2));
        Assert.Equal(1, observed.Attempts[("train", run)]);
        Assert.Equal(3, observed.Attempts[("validate", run)]);
        Assert.Contains(observed.Failures, f => f.Stage == "train" && f.Error.Contains("failed 1 times"));
        Assert.Contains(observed.Failures, f => f.Stage == "validate" && f.Error.Contains("failed 3 times"));
        await host.StopAsync();
    }

    /// <summary>
    /// A service out of reach gets the long retry (Messaging:TransientRetry), whatever the stage's own says, and the run's
    /// error then says what to check; the short retry is untouched (AStagesOwnRetryReplacesTheBusWideOneForThatStageOnly).
    /// </summary>
    [Fact]
    public async Task AServiceOutOfReachIsWaitedForByTheLongRetryAndTheRunSaysWhatToCheck()
    {
        var (host, observed) = await StartAsync("in-memory", new()
        {
            ["Stages:train:Retry:Attempts"] = "0", ["Messaging:TransientRetry:Attempts"] = "4", ["Messaging:TransientRetry:FirstDelay"] = "00:00:00.020",
        });
        using var _ = host;
        var run = Guid.NewGuid();
        await host.Services.GetRequiredService<IBus>().Publish(new LimitsWorkArrived(run, "limits", 1, Unreachable: true));
        await Eventually(() => Task.FromResult(observed.Failures.Any(f => f.RunId == run)));
        Assert.Equal(5, observed.Attempts[("train", run)]);
        var failed = Assert.Single(observed.Failures);
        Assert.Contains("The train stage could not reach a service it needs (the object store, the broker or the database) in 5 attempts", failed.Error);
        Assert.Contains("Connection refused", failed.Error);
        await host.StopAsync();
    }

    [Fact]
    public void WhatCountsAsAServiceOutOfReach()
    {
        Assert.True(TransientFailure.Is(new HttpRequestException("refused")));
        Assert.True(TransientFailure.Is(new InvalidOperationException("wrapped", new System.Net.Sockets.SocketException(111))));
        Assert.True(TransientFailure.Is(new AggregateException(new TimeoutException())));
        Assert.False(TransientFailure.Is(new IOException("disk on fire")));
        Assert.False(TransientFailure.Is(new InvalidDataException("Line 3: 'x' is not a number.")));
        Assert.False(TransientFailure.Is(new MlOps.Train.TrainingException("too few rows")));
    }

    [Theory]
    [InlineData("Stages:train:Concurrency", "0", "Stages:train:Concurrency is '0'")]
    [InlineData("Stages:train:Concurrency", "-3", "Stages:train:Concurrency is '-3'")]
    [InlineData("Stages:train:Concurrency", "many", "a whole number from 1 to 1024")]
    [InlineData("Stages:train:Timeout", "ten minutes", "Stages:train:Timeout is 'ten minutes'; write a positive duration as hh:mm:ss")]
    [InlineData("Stages:validate:Timeout", "00:00:00", "Stages:validate:Timeout is '00:00:00'")]
    [InlineData("Stages:trian:Timeout", "00:10:00", "Stages:trian is not a stage; the stages are ingest, validate, train, registry, deploy, monitor")]
    [InlineData("Stages:train:Retry:Attempts", "99", "Stages:train:Retry:Attempts")]
    [InlineData("Stages:deploy:Retry:FirstDelay", "soon", "Stages:deploy:Retry")]
    [InlineData("Messaging:Retry:Factor", "0.5", "Messaging:Retry:Factor")]
    [InlineData("Messaging:TransientRetry:Attempts", "50", "Messaging:TransientRetry:Attempts")]
    public void SettingsThatCannotWorkStopTheStartNamingTheSetting(string key, string value, string message)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        var e = Assert.Throws<InvalidOperationException>(() => builder.AddMlOpsMessaging());
        Assert.Contains(message, e.Message);
    }
}
