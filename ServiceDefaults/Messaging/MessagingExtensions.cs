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
    /// MassTransit's in-memory transport otherwise. Services pass only their consumers; every endpoint gets the same
    /// exponential retry (<see cref="RetryOptions"/>) and a run whose message exhausts it ends with RunFailed.
    /// </summary>
    public static IHostApplicationBuilder AddMlOpsMessaging(this IHostApplicationBuilder builder, params Action<IBusRegistrationConfigurator>[] consumers)
    {
        builder.Services.AddOptions<RetryOptions>().BindConfiguration("Messaging:Retry").ValidateDataAnnotations().ValidateOnStart();
        var retry = builder.Configuration.GetSection("Messaging:Retry").Get<RetryOptions>() ?? new RetryOptions();
        var connectionString = builder.Configuration.GetConnectionString("messaging");

        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new StageEndpointNameFormatter());
            foreach (var add in consumers) add(x);

            x.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                var observer = new RunFailedRetryObserver(
                    StageEndpointNameFormatter.StageOfEndpoint(name),
                    context.GetRequiredService<ILoggerFactory>().CreateLogger("MlOps.Messaging"));
                endpoint.UseMessageRetry(r =>
                {
                    var delays = retry.Delays();
                    if (delays.Length == 0) r.None(); else r.Intervals(delays);
                    r.ConnectRetryObserver(observer);
                });
            });

            if (string.IsNullOrWhiteSpace(connectionString))
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                var uri = new Uri(connectionString);
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(uri);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        // A service reports started only once its endpoints exist, so nothing published right after start is lost.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSource(DiagnosticHeaders.DefaultListenerName));
        return builder;
    }

    /// <summary>"rabbitmq" or "in-memory": reported in logs and the console so nobody wonders which bus they are on.</summary>
    public static string TransportName(IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString("messaging")) ? "in-memory" : "rabbitmq";
}
