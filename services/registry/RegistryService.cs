using MassTransit;
using Microsoft.Extensions.Options;
using MlOps.Registry.Consumers;
using MlOps.ServiceDefaults.Artifacts;

namespace MlOps.Registry;

/// <summary>The registry: every run's timeline, every model version, the champion alias and the gate.</summary>
public static class RegistryService
{
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        builder.AddArtifactStore();
        builder.Services.AddOptions<RegistryOptions>().BindConfiguration("Registry").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<GateEvaluator>();
        builder.Services.AddSingleton<ModelLog>();
        builder.Services.AddHostedService<RunResumer>();
        // PostgreSQL when ConnectionStrings:registry is set (for more than one replica), else the SQLite file of Registry:Database.
        var postgres = builder.Configuration.GetConnectionString("registry");
        builder.Services.AddSingleton(sp => string.IsNullOrWhiteSpace(postgres)
            ? RegistryStore.Sqlite(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Database, TimeProvider.System)
            : RegistryStore.Postgres(postgres, TimeProvider.System));
        return builder;
    }

    public static void Consumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ModelTrainedConsumer, ModelTrainedConsumerDefinition>();
        x.AddConsumer<RunTimelineConsumer, RunTimelineConsumerDefinition>();
    }
}
