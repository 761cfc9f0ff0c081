using MassTransit;
using MassTransit.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace MlOps.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// The one place the bus is wired. RabbitMQ when <c>ConnectionStrings:messaging</c> is set (an amqp:// URI),
    /// MassTransit's in-memory transport otherwise. Services pass only their consumers; every endpoint gets its stage's
    /// limits (<see cref="StageLimits"/>: concurrency, a time limit, and the exponential retry of <c>Messaging:Retry</c> or
    /// the stage's own), and a run whose message exhausts its retries or its time ends with RunFailed. Settings that cannot
    /// work stop the start with their names.
    /// </summary>
    public static IHostApplicationBuilder AddMlOpsMessaging(this IHostApplicationBuilder builder, params Action<IBusRegistrationConfigurator>[] consumers)
    {
        var limits = StageLimits.Read(builder.Configuration);
        builder.Services.AddSingleton(limits);
        builder.Services.AddScoped<StageClock>();
        var connectionString = builder.Configuration.GetConnectionString("messaging");

        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new StageEndpointNameFormatter());
            // MassTransit reports usage to its vendor over the internet by default; nothing leaves a user's network unasked.
            x.DisableUsageTelemetry();
            foreach (var add in consumers) add(x);

            x.AddConfigureEndpointsCallback((context, name, endpoint) => ConfigureStage(context, name, endpoint, limits));

            if (string.IsNullOrWhiteSpace(connectionString))
            {
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UsePublishFilter(typeof(StageClockPublishFilter<>), context);
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                var uri = new Uri(connectionString);
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(uri);
                    cfg.UsePublishFilter(typeof(StageClockPublishFilter<>), context);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        // A service reports started only once its endpoints exist, so nothing published right after start is lost.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSource(DiagnosticHeaders.DefaultListenerName));
        return builder;
    }

    /// <summary>
    /// What a receive endpoint a service connects itself (MassTransit's <c>ConnectReceiveEndpoint</c>, which the endpoints
    /// callback does not reach: monitor's partition queues) gets, like every other endpoint of its stage.
    /// </summary>
    public static void ConfigureAsStage(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context, string name) =>
        ConfigureStage(context, name, endpoint, context.GetRequiredService<StageLimits>());

    /// <summary>What every endpoint of a stage gets: its concurrency, its time limit, and the two retries that end a run with RunFailed.</summary>
    static void ConfigureStage(IRegistrationContext context, string name, IReceiveEndpointConfigurator endpoint, StageLimits limits)
    {
        var stage = StageEndpointNameFormatter.StageOfEndpoint(name);
        var log = context.GetRequiredService<ILoggerFactory>().CreateLogger("MlOps.Messaging");
        if (limits.For(stage).Concurrency is { } concurrency) endpoint.ConcurrentMessageLimit = concurrency;
        // Outermost: a stage's time covers its retries, as its time limit does.
        endpoint.UseConsumeFilter(typeof(StageClockConsumeFilter<>), context);
        // A cancelled run's messages start no work (the registry's timeline records them all the same).
        if (name != "registry-run-timeline") endpoint.UseConsumeFilter(typeof(CancelledRunFilter<>), context);
        // Outside the retries: the time limit covers every attempt at the run's message.
        if (limits.For(stage).Timeout is not null) endpoint.UseConsumeFilter(typeof(StageTimeoutFilter<>), context);
        // Two policies: a service out of reach (the store, the broker, the database) is waited for, for minutes; any
        // other error gets the stage's short retry. Each ends the run with RunFailed when it gives up.
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(TransientFailure.Is);
            var delays = limits.Transient.Delays();
            if (delays.Length == 0) r.None(); else r.Intervals(delays);
            r.ConnectRetryObserver(new RunFailedRetryObserver(stage, log, outOfReach: true));
        });
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<Exception>(TransientFailure.Is);
            var delays = limits.RetryFor(stage).Delays();
            if (delays.Length == 0) r.None(); else r.Intervals(delays);
            r.ConnectRetryObserver(new RunFailedRetryObserver(stage, log));
        });
    }

    /// <summary>"rabbitmq" or "in-memory": reported in logs and the console so nobody wonders which bus they are on.</summary>
    public static string TransportName(IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString("messaging")) ? "in-memory" : "rabbitmq";
}
